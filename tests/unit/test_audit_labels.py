"""The audit log shows names, not codes (issue 12): every action and object type that the
code records has its Korean label in app/services/shared/audit.py, found by reading the
code (so that a new `audit.record(action=...)` without a label fails here)."""
from __future__ import annotations

import ast
from pathlib import Path

from app.models.wallet import LEDGER_KINDS
from app.security.manager import AuditedModelMixin
from app.services.shared import audit

APP = Path(__file__).resolve().parents[2] / "app"


def _strings(node) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def recorded_codes() -> tuple[set[str], set[str], list[str]]:
    """(actions, object types, f-string actions seen) written as literals in app/."""
    actions, objects, templated = set(), set(), []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "add_argument":                   # argparse's action="store_true" is not ours
                continue
            for keyword in node.keywords:
                if keyword.arg == "object_type":
                    objects |= _strings(keyword.value)
                if keyword.arg == "action":
                    if isinstance(keyword.value, ast.JoinedStr):
                        templated.append(f"{path.name}:{node.lineno}")
                    actions |= _strings(keyword.value)
            if name == "_audit" and node.args:          # rq_queues._audit("requeue_failed_job", …)
                actions |= _strings(node.args[0])
            if name == "_record" and node.args and isinstance(node.args[0], ast.JoinedStr):
                templated.append(f"{path.name}:{node.lineno}")   # manager: f"create_{audit_object_type}"
    return actions, objects, templated


def test_the_scan_finds_the_known_codes():
    actions, objects, templated = recorded_codes()
    assert {"approve", "reject", "set_daily_cap", "suspend_sender_number", "requeue_failed_job"} <= actions
    assert {"sender_number", "topup_request", "account", "send"} <= objects
    assert templated, "the security views' create_/change_/delete_ actions"


def test_every_recorded_action_and_object_has_a_korean_label():
    actions, objects, _ = recorded_codes()
    actions |= set(LEDGER_KINDS)                      # ledger: action=entry.kind
    fab_types = {cls.audit_object_type for cls in AuditedModelMixin.__subclasses__()} | \
        {sub.audit_object_type for cls in AuditedModelMixin.__subclasses__() for sub in cls.__subclasses__()}
    fab_types.discard("")
    actions |= {f"{verb}_{kind}" for verb in ("create", "change", "delete") for kind in fab_types}
    objects |= fab_types
    assert not actions - set(audit.ACTIONS), f"actions without a label: {sorted(actions - set(audit.ACTIONS))}"
    assert not objects - set(audit.OBJECTS), f"object types without a label: {sorted(objects - set(audit.OBJECTS))}"
    for code in actions:
        assert any("\uac00" <= ch <= "\ud7a3" for ch in audit.action_label(code)), code


def test_before_and_after_read_as_names():
    assert audit.describe('{"status": "requested", "kind": "individual"}') == "상태: 요청 · 유형: 개인"
    assert audit.describe('{"cash": 30000, "points": 1000}') == "충전금: 30,000원 · 포인트: 1,000P"
    assert audit.describe('{"suspended": true}') == "이용 정지: 예"
    assert audit.describe(None) == "" and audit.describe("not json") == "not json"
    assert audit.action_label("topup") == "충전" and audit.object_label("topup_request") == "충전 요청"
    assert audit.action_label("something_new") == "something_new"
