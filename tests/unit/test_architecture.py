"""The house's import rules (docs/ARCHITECTURE.md, scripts/check_architecture.py): no
import circle inside app/, imports only downward through the capability order, a reason
on every import of our code inside a function, a pure app/domain, and one owner of
Send.status. The first test holds the real tree to them; the others prove that each rule
can fail, on a small tree made for the purpose."""
from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_architecture", ROOT / "scripts" / "check_architecture.py")
check_architecture = sys.modules.setdefault("check_architecture", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(check_architecture)


def test_the_house_keeps_its_import_rules():
    assert check_architecture.check(ROOT) == []


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in {"app/__init__.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(tmp_path).parents:
            init = tmp_path / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("")
        path.write_text(textwrap.dedent(source))
    return tmp_path


def findings(tmp_path, files) -> list[str]:
    return check_architecture.check(tree(tmp_path, files))


def test_a_circle_is_found_even_when_a_function_level_import_hides_it(tmp_path):
    found = findings(tmp_path, {
        "app/services/shared/a.py": "from app.services.shared import b\n",
        "app/services/shared/b.py": "def f():\n    from app.services.shared import a  # deferred: to hide a circle\n",
    })
    assert found == ["cycle: app.services.shared.a ↔ app.services.shared.b "
                     "(app/services/shared/a.py:1 → app.services.shared.b, "
                     "app/services/shared/b.py:2 → app.services.shared.a)"]


def test_an_import_up_the_capability_order_is_refused(tmp_path):
    found = findings(tmp_path, {
        "app/services/wallet/ledger.py": "from app.services.sending import lifecycle\n",
        "app/services/sending/lifecycle.py": "",
    })
    assert found == ["upward: app/services/wallet/ledger.py:1 app.services.wallet.ledger imports "
                     "app.services.sending.lifecycle (app.services.wallet is below app.services.sending)"]


def test_sibling_capabilities_do_not_import_each_other(tmp_path):
    found = findings(tmp_path, {
        "app/services/senders/numbers.py": "from app.services.contacts import optouts\n",
        "app/services/contacts/optouts.py": "",
    })
    assert found == ["sideways: app/services/senders/numbers.py:1 app.services.senders.numbers imports "
                     "app.services.contacts.optouts (app.services.senders and app.services.contacts are "
                     "sibling capabilities)"]


@pytest.mark.parametrize("line, refused", [
    ("    from app.domain import sms\n", True),
    ("    from app.domain import sms  # noqa: F401\n", True),
    ("    from app.domain import sms  # deferred: a third-party import cycle\n", False),
])
def test_an_import_inside_a_function_needs_its_reason(tmp_path, line, refused):
    found = findings(tmp_path, {"app/services/shared/a.py": "def f():\n" + line, "app/domain/sms.py": ""})
    expected = ["hidden: app/services/shared/a.py:2 imports app.domain.sms inside a function without "
                "'# deferred: <why>' on its line"]
    assert found == (expected if refused else [])


def test_the_factory_may_import_anything_inside_create_app(tmp_path):
    found = findings(tmp_path, {"app/__init__.py": "def create_app():\n    from app.views import menu\n",
                                "app/views/menu.py": "from app import clock\n", "app/clock.py": ""})
    assert found == []


def test_the_domain_stays_pure(tmp_path):
    found = findings(tmp_path, {
        "app/domain/rules.py": "import sqlalchemy\nfrom app.models import Send\n",
        "app/models/__init__.py": "",
    })
    assert found == ["impure: app/domain/rules.py:1 app/domain imports sqlalchemy",
                     "impure: app/domain/rules.py:2 app/domain imports app.models",
                     "upward: app/domain/rules.py:2 app.domain.rules imports app.models "
                     "(app.domain is below app.models)"]


@pytest.mark.parametrize("source", [
    "def cancel(send):\n    send.status = 'cancelled'\n",
    "def start(db, update, Send):\n    db.session.execute(update(Send).where(Send.id == 1).values(status='in_progress'))\n",
    "def accept(Send):\n    return Send(status='in_progress')\n",
])
def test_only_the_lifecycle_writes_send_status(tmp_path, source):
    outside = findings(tmp_path / "outside", {"app/services/history/retention.py": source})
    assert outside == ["owner: app/services/history/retention.py:2 writes Send.status "
                       "(only app.services.sending.lifecycle does)"]
    assert findings(tmp_path / "owner", {"app/services/sending/lifecycle.py": source}) == []


def test_a_new_send_takes_its_first_status_from_the_lifecycle(tmp_path):
    source = "def accept(Send, lifecycle):\n    return Send(status=lifecycle.initial_status(None))\n"
    assert findings(tmp_path, {"app/services/sending/acceptance.py": source}) == []
