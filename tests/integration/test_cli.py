"""`flask megabird …`: the tick runs the tasks due at --now and records periodic_run rows;
a bad --now is a clear usage error; sandbox-outbox lists what the sandbox carrier
received; seed-demo (ACC-09) is idempotent and prints working logins (and megazone's AlimTalk templates)."""
import datetime as dt
import json
import re

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (Account, AccountMember, AlimtalkTemplate, AuditLog, LoginAttempt, LowBalanceAlert,
                        PeriodicRun, SandboxMessage, SenderNumber, SystemMessage, User, UserConsent)
from app.services import periodic
from tests.support.foundation import count, rows
from tests.support.jobs import run_worker
from tests.support.web import login, text_of

SIGNUP = {"name": "우정민", "email": "jm@example.com", "password": "correct-horse-battery",
          "password_confirm": "correct-horse-battery", "phone": "010-2113-3451",
          "agree_terms": "1", "agree_privacy": "1"}
TICK_AT = "2026-12-01T09:00:00+09:00"
TICK_UTC = dt.datetime(2026, 12, 1, 0, 0)


def megabird(app, *args):
    return app.test_cli_runner().invoke(args=["megabird", *args])


def test_the_tick_runs_the_due_tasks_and_records_them(app, client):
    # work waiting for the tick: a verification code never handed to a worker ...
    with clock.frozen(TICK_UTC - dt.timedelta(minutes=1)):
        assert client.post("/signup/", data=SIGNUP).status_code == 302
    assert count(app, SystemMessage, SystemMessage.state == "pending") == 1
    # ... and failed logins, one old enough to be purged
    for at in (TICK_UTC - dt.timedelta(days=2), TICK_UTC - dt.timedelta(hours=1)):
        with clock.frozen(at):
            client.post("/login/", data={"username": "someone@example.com", "password": "wrong-password"})
    assert count(app, LoginAttempt) == 2

    result = megabird(app, "tick", "--now", TICK_AT)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["now"] == "2026-12-01T09:00:00+09:00"  # shown in KST, as typed
    assert report["results"]["system_messages"] == 1
    assert report["results"]["purge_login_attempts"] == 1
    assert count(app, SystemMessage, SystemMessage.state == "pending") == 0
    [sms] = rows(app, SandboxMessage)
    assert sms["recipient"] == "01021133451" and "인증번호" in sms["text"]
    assert count(app, LoginAttempt) == 1
    runs = {r["name"]: r for r in rows(app, PeriodicRun, order_by=PeriodicRun.name)}
    assert set(runs) == {task.name for task in periodic.TASKS}  # 09:00 KST: every task is due
    for name, run in runs.items():
        assert (run["last_run_at"], run["last_ok_at"], run["last_error"]) == (TICK_UTC, TICK_UTC, None), name

    # five seconds later only the every-tick tasks run again; the nightly ones wait a day
    result = megabird(app, "tick", "--now", "2026-12-01T09:00:05+09:00")
    assert result.exit_code == 0, result.output
    again = json.loads(result.output.strip().splitlines()[-1])["results"]
    assert "system_messages" in again and "purge_login_attempts" not in again
    runs = {r["name"]: r for r in rows(app, PeriodicRun)}
    assert runs["system_messages"]["last_run_at"] == TICK_UTC + dt.timedelta(seconds=5)
    assert runs["purge_login_attempts"]["last_run_at"] == TICK_UTC


def test_the_tick_refuses_a_bad_now(app):
    for bad in ("yesterday", "2026-13-01T09:00:00", "12/01/2026"):
        result = megabird(app, "tick", "--now", bad)
        assert result.exit_code == 2, (bad, result.output)
        assert "--now" in result.output and "ISO-8601" in result.output, result.output
        assert "Traceback" not in result.output
    assert count(app, PeriodicRun) == 0


def test_sandbox_outbox_lists_the_messages_to_a_number(app, client):
    client.post("/signup/", data=SIGNUP)
    app.test_client().post("/signup/", data={**SIGNUP, "email": "other@example.com", "phone": "010-2113-3452"})
    run_worker(app)
    result = megabird(app, "sandbox-outbox", "--to", "010-2113-3451")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "-> 01021133451" in lines[0] and re.search(r"인증번호 \[\d{6}\]", lines[0])
    everything = megabird(app, "sandbox-outbox").output.strip().splitlines()
    assert len(everything) == 2 and any("01021133452" in line for line in everything)
    assert megabird(app, "sandbox-outbox", "--to", "010-9999-9999").output.strip() == ""


DEMO_ROLES = {"admin": "Admin", "operator": "Operator", "finance": "Finance", "kim": "Customer",
              "megazone": "Customer"}


def _demo_counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (User, Account, AccountMember, SenderNumber))


def test_acc09_seed_demo_is_idempotent_and_its_passwords_log_in(app):
    first = megabird(app, "seed-demo")
    assert first.exit_code == 0, first.output
    counts = _demo_counts(app)
    second = megabird(app, "seed-demo")
    assert second.exit_code == 0, second.output
    assert _demo_counts(app) == counts
    assert counts[0] == 5 and counts[1] == 2

    logins = [re.fullmatch(r"login=(\S+) password=(\S+) role=(\S+)", line)
              for line in second.output.splitlines() if line.startswith("login=")]
    assert all(logins), second.output
    assert {m.group(1): m.group(3) for m in logins} == DEMO_ROLES
    assert len(logins) == len(DEMO_ROLES)
    assert [line for line in first.output.splitlines() if line.startswith("login=")] == \
        [m.group(0) for m in logins]

    pages = {"admin": "/staff/jobs/", "operator": "/staff/queues/conversions/list/",
             "finance": "/staff/audit/list/", "kim": "/dashboard/", "megazone": "/dashboard/"}
    for match in logins:
        user, password = match.group(1), match.group(2)
        client = app.test_client()
        login(client, user, password)
        assert client.get(pages[user]).status_code == 200, user
    kim = app.test_client()
    login(kim, "kim", dict((m.group(1), m.group(2)) for m in logins)["kim"])
    assert "개인회원" in text_of(kim.get("/dashboard/"))
    # issue 12: the demo customers' consents are recorded once; kim has a low-balance alert
    with app.app_context():
        consents = {(u, kind): agreed for u, kind, agreed in db.session.execute(
            select(User.username, UserConsent.kind, UserConsent.agreed)
            .join(UserConsent, UserConsent.user_id == User.id))}
        assert consents == {("kim", "terms"): True, ("kim", "privacy"): True, ("kim", "marketing"): False,
                            ("megazone", "terms"): True, ("megazone", "privacy"): True,
                            ("megazone", "marketing"): True}
        [alert] = db.session.scalars(select(LowBalanceAlert)).all()
        assert (alert.threshold, alert.by_sms, alert.by_email, alert.alerted_at) == (10_000, True, True, None)
    mypage = text_of(kim.get("/mypage/"))
    assert "이용약관 동의 (필수) 동의" in mypage and 'value="10,000"' in kim.get("/mypage/").get_data(as_text=True)
    with app.app_context():
        megazone = db.session.scalar(select(Account).join(AccountMember).join(User, User.id == AccountMember.user_id)
                                     .where(User.username == "megazone"))
        assert (megazone.kind, megazone.daily_cap, megazone.api_status) == ("corporate", 1_000_000, "approved")
        # issue 18 (TAX-01, 09-api.md): 매월 자동 발행 to a tax contact, set once through the settings service
        assert (megazone.tax_invoice_auto, megazone.tax_contact_name, megazone.tax_contact_email,
                megazone.tax_contact_phone) == (True, "홍길동", "tax@megabird.test", "0212345678")
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "tax_invoice_settings")) == 1      # two runs, once
        senders = db.session.scalars(select(SenderNumber).where(SenderNumber.account_id == megazone.id)).all()
        assert senders and all(s.status == "approved" for s in senders)
        # issue 14 (09-api.md, KAT-03): an approved AlimTalk template with #{고객명}, #{주문번호} and one
        # web-link button on megazone's approved channel, and a rejected one with its reason, once
        both = db.session.scalars(select(AlimtalkTemplate).where(AlimtalkTemplate.account_id == megazone.id)).all()
        assert sorted(t.status for t in both) == ["approved", "rejected"]          # two runs, two templates
        made = {t.status: t for t in both}
        ready, refused = made["approved"], made["rejected"]
        assert ready.channel.status == "approved" and ready.channel.search_id == "@megabird"
        assert ready.variables == ["고객명", "주문번호"]
        assert [b["type"] for b in ready.buttons] == ["WL"] and ready.buttons[0]["url_mobile"].startswith("https://")
        assert [e.status for e in ready.events] == ["saved", "requested", "in_review", "approved"]
        assert refused.reject_reason and refused.events[-1].comment == refused.reject_reason
        assert refused.events[-1].actor.username == "operator"
    # the printed API key reads them (API-07)
    [api_key] = [line.removeprefix("api_key=") for line in second.output.splitlines() if line.startswith("api_key=")]
    listing = app.test_client().get("/api/v1/alimtalk/templates?state=approved",
                                    headers={"Authorization": f"Bearer {api_key}"}).get_json()
    assert [(t["title"], t["channel"], t["variables"]) for t in listing["templates"]] == [
        ("주문 발송 안내", "@megabird", ["고객명", "주문번호"])]


def test_demo_passwords_are_this_installs_and_never_reset_over_a_changed_one(app, tmp_path):
    """Issue 13: demo passwords were the same on every install (mb-<login>-demo-2026) and
    seed-demo reset any password a person had set."""
    from app.services.accounts import users
    from app.services.ops import demo
    app.config["INSTANCE_DIR"] = tmp_path
    first = megabird(app, "seed-demo")
    passwords = dict(re.findall(r"login=(\S+) password=(\S+)", first.output))
    assert passwords["admin"].startswith("mb-") and passwords["admin"] != "mb-admin-demo-2026"
    assert len(set(passwords.values())) == len(passwords)
    stored = tmp_path / "demo_passwords.json"
    assert json.loads(stored.read_text())["kim"] == passwords["kim"] and stored.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="kim")
        user.password = users.hash_password("kim-own-Passw0rd!")
        db.session.commit()
    again = megabird(app, "seed-demo")
    assert "login=kim password=(changed) role=Customer" in again.output
    client = app.test_client()
    assert login(client, "kim", "kim-own-Passw0rd!").status_code == 302
    # scripts/start: a database that has accounts is not seeded again, its logins are printed
    before = count(app, Account)
    listed = megabird(app, "seed-demo", "--if-empty")
    assert listed.exit_code == 0 and count(app, Account) == before
    assert f"login=admin password={passwords['admin']} role=Admin" in listed.output
    with app.app_context():
        assert demo.demo_password("admin") == passwords["admin"]
