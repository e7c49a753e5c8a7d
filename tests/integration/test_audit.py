"""ACC-08 audit log: every staff decision records one row (actor, action, object,
before/after, reason); operators filter the list by actor; nothing in the UI adds,
edits or deletes a row, and the database itself refuses UPDATE and DELETE."""
import html
import json
import re

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import ApiUseApplication, AuditLog, CorporateConversion
from app.services.shared import audit
from tests.support.foundation import apply_conversion, count, customer_client, rows, staff_client


def show_ids(response) -> set[int]:
    return {int(i) for i in re.findall(r'/staff/audit/show/(\d+)', response.get_data(as_text=True))}


def new_rows(app, seen: int):
    return [r for r in rows(app, AuditLog) if r["id"] > seen]


def last_id(app) -> int:
    return max([r["id"] for r in rows(app, AuditLog)], default=0)


def test_acc08_every_staff_decision_writes_one_row(app):
    customer, client = customer_client(app)
    other, other_client = customer_client(app, kind="corporate")
    apply_conversion(client)
    other_client.post("/mypage/api", data={"purpose": "연동"})
    operator_login, operator = staff_client(app, "Operator", login="ops-audit")
    [conversion_id] = [str(c["id"]) for c in rows(app, CorporateConversion)]
    [api_id] = [str(a["id"]) for a in rows(app, ApiUseApplication)]
    decisions = [
        (f"/staff/queues/conversions/decide/{conversion_id}", {"decision": "approve"},
         ("approve", "corporate_conversion", conversion_id, customer.account_id),
         {"kind": "individual", "status": "requested"}, {"kind": "corporate", "status": "approved"}, None),
        (f"/staff/queues/api-use/decide/{api_id}", {"decision": "reject", "reason": "사용 목적이 불분명합니다."},
         ("reject", "api_use_application", api_id, other.account_id),
         {"status": "requested"}, {"status": "rejected"}, "사용 목적이 불분명합니다."),
        (f"/staff/accounts/{customer.account_id}/cap", {"daily_cap": "20,000", "reason": "대량 발송 고객"},
         ("set_daily_cap", "account", str(customer.account_id), customer.account_id),
         {"daily_cap": 1000}, {"daily_cap": 20000}, "대량 발송 고객"),
        (f"/staff/accounts/{customer.account_id}/suspend", {"reason": "스팸 신고 다수"},
         ("suspend", "account", str(customer.account_id), customer.account_id),
         {"suspended": False}, {"suspended": True}, "스팸 신고 다수"),
        (f"/staff/accounts/{customer.account_id}/unsuspend", {"reason": "소명 완료"},
         ("unsuspend", "account", str(customer.account_id), customer.account_id),
         {"suspended": True}, {"suspended": False}, "소명 완료"),
    ]
    for url, form, (action, object_type, object_id, account_id), before, after, reason in decisions:
        seen = last_id(app)
        assert operator.post(url, data=form).status_code == 302, url
        [entry] = new_rows(app, seen)
        assert (entry["actor_login"], entry["action"], entry["object_type"], entry["object_id"],
                entry["account_id"], entry["reason"]) == \
            (operator_login, action, object_type, object_id, account_id, reason), url
        assert (json.loads(entry["before"]), json.loads(entry["after"])) == (before, after), url
        assert entry["actor_id"] is not None and entry["created_at"] is not None
    # a refused decision records nothing
    seen = last_id(app)
    operator.post(f"/staff/accounts/{customer.account_id}/cap", data={"daily_cap": "-5"})
    operator.post(f"/staff/accounts/{customer.account_id}/suspend", data={"reason": ""})
    assert new_rows(app, seen) == []


@pytest.fixture
def two_operators_decided(app):
    """ops-kim and ops-lee each changed a cap; returns their rows' ids."""
    customer, _ = customer_client(app)
    ids = {}
    for login, cap in (("ops-kim", "1500"), ("ops-lee", "2500")):
        _, client = staff_client(app, "Operator", login=login)
        seen = last_id(app)
        client.post(f"/staff/accounts/{customer.account_id}/cap", data={"daily_cap": cap, "reason": login})
        ids[login] = {r["id"] for r in new_rows(app, seen)}
    return ids


def test_acc08_the_list_filters_by_actor(app, two_operators_decided):
    ids = two_operators_decided
    _, auditor = staff_client(app, "Finance")
    everything = auditor.get("/staff/audit/list/")
    assert everything.status_code == 200 and show_ids(everything) == ids["ops-kim"] | ids["ops-lee"]
    # FAB's search filters: _flt_<index of the filter>_<column>; 3 is "equal to", 0 "starts with"
    equal = auditor.get("/staff/audit/list/?_flt_3_actor_login=ops-kim")
    assert equal.status_code == 200 and show_ids(equal) == ids["ops-kim"]
    assert "ops-lee" not in equal.get_data(as_text=True)
    starts = auditor.get("/staff/audit/list/?_flt_0_actor_login=ops-l")
    assert show_ids(starts) == ids["ops-lee"]
    assert show_ids(auditor.get("/staff/audit/list/?_flt_3_actor_login=nobody")) == set()
    # each row opens, with before/after and the reason
    [kim_row] = ids["ops-kim"]
    page = auditor.get(f"/staff/audit/show/{kim_row}")
    assert page.status_code == 200 and "일일 한도: 1,500" in html.unescape(page.get_data(as_text=True))


def test_acc08_nothing_in_the_ui_adds_edits_or_deletes_a_row(app, two_operators_decided):
    before = rows(app, AuditLog)
    row_id = before[0]["id"]
    forged = {"actor_login": "forged", "action": "approve", "object_type": "account", "reason": "x",
              "created_at": "2026-01-01 00:00:00"}
    _, admin = staff_client(app, "Admin")
    for method, url, data in [
        ("GET", "/staff/audit/add", None), ("POST", "/staff/audit/add", forged),
        ("GET", f"/staff/audit/edit/{row_id}", None), ("POST", f"/staff/audit/edit/{row_id}", forged),
        ("GET", f"/staff/audit/delete/{row_id}", None), ("POST", f"/staff/audit/delete/{row_id}", None),
        ("POST", "/staff/audit/action_post", {"action": "muldelete", "rowid": str(row_id)}),
        ("POST", f"/staff/audit/action/muldelete/{row_id}", None),
    ]:
        response = admin.open(url, method=method, data=data)
        assert 300 <= response.status_code < 500, (method, url, response.status_code)
        assert rows(app, AuditLog) == before, (method, url)
    listing = admin.get("/staff/audit/list/").get_data(as_text=True)
    assert "/staff/audit/edit/" not in listing and "/staff/audit/delete/" not in listing
    assert "/staff/audit/add" not in listing


def test_acc08_the_database_refuses_update_and_delete(app, two_operators_decided):
    before = rows(app, AuditLog)
    statements = [
        sa.update(AuditLog).values(reason="고쳐 쓴 사유"),
        sa.update(AuditLog).where(AuditLog.id == before[0]["id"]).values(actor_login="someone-else"),
        sa.delete(AuditLog).where(AuditLog.id == before[0]["id"]),
        sa.delete(AuditLog),
        sa.text("DELETE FROM audit_log"),
    ]
    with app.app_context():
        for statement in statements:
            with pytest.raises(sa.exc.DBAPIError) as refused:
                db.session.execute(statement)
                db.session.commit()
            assert "append-only" in str(refused.value)
            db.session.rollback()
        # the ORM path is refused too
        entry = db.session.get(AuditLog, before[0]["id"])
        db.session.delete(entry)
        with pytest.raises(sa.exc.DBAPIError):
            db.session.commit()
        db.session.rollback()
    assert rows(app, AuditLog) == before
    # inserting stays possible: the log is append-only, not read-only
    with app.app_context():
        audit.record(actor=None, action="check", object_type="test", now=clock.now())
        db.session.commit()
    assert count(app, AuditLog) == len(before) + 1


def test_acc08_an_admin_changing_a_user_or_a_role_in_fabs_pages_is_audited(app):
    """FAB's own user and role pages are staff state changes too: the role given, the
    login deactivated, a role renamed each write one row with before and after."""
    from app.models import User
    customer, _ = customer_client(app)
    admin_login, admin = staff_client(app, "Admin")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == customer.login))
        user_id, roles = user.id, {r.name: r.id for r in db.session.scalars(sa.select(user.roles[0].__class__))}
        db.session.commit()
    seen = last_id(app)
    response = admin.post(f"/users/edit/{user_id}", data={
        "first_name": "김", "last_name": "고객", "username": customer.login, "email": customer.login,
        "active": "y", "roles": [str(roles["Customer"]), str(roles["Finance"])]})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    [entry] = new_rows(app, seen)
    assert (entry["actor_login"], entry["action"], entry["object_type"], entry["object_id"]) == \
        (admin_login, "change_user", "user", str(user_id))
    assert json.loads(entry["before"])["roles"] == ["Customer"]
    assert json.loads(entry["after"])["roles"] == ["Customer", "Finance"]
    # saving without a change writes nothing; deactivating the login writes one row
    seen = last_id(app)
    admin.post(f"/users/edit/{user_id}", data={
        "first_name": "김", "last_name": "고객", "username": customer.login, "email": customer.login,
        "active": "y", "roles": [str(roles["Customer"]), str(roles["Finance"])]})
    assert new_rows(app, seen) == []
    admin.post(f"/users/edit/{user_id}", data={
        "first_name": "김", "last_name": "고객", "username": customer.login, "email": customer.login,
        "roles": [str(roles["Customer"]), str(roles["Finance"])]})
    [entry] = new_rows(app, seen)
    assert (json.loads(entry["before"])["active"], json.loads(entry["after"])["active"]) == (True, False)


def test_acc08_requeueing_or_deleting_a_failed_job_is_audited(app):
    from app.extensions import queue
    from app.jobs.system import run_tick
    from tests.support.jobs import run_worker
    admin_login, admin = staff_client(app, "Admin")
    with app.app_context():
        jobs = [queue("default").enqueue(run_tick, "not a time") for _ in range(2)]
        ids, name = [j.id for j in jobs], queue("default").name
    run_worker(app)                                            # both fail: the time cannot be read
    page = admin.get("/staff/jobs/").get_data(as_text=True)
    assert all(i in page for i in ids)
    seen = last_id(app)
    assert admin.post(f"/staff/jobs/failed/{ids[0]}/requeue", data={"queue": name}).status_code == 302
    assert admin.post(f"/staff/jobs/failed/{ids[1]}/delete", data={"queue": name}).status_code == 302
    entries = new_rows(app, seen)
    assert [(e["actor_login"], e["action"], e["object_type"], e["object_id"]) for e in entries] == [
        (admin_login, "requeue_failed_job", "rq_job", ids[0]), (admin_login, "delete_failed_job", "rq_job", ids[1])]
    # a job that is not (or no longer) failed: 404, nothing recorded
    assert admin.post(f"/staff/jobs/failed/{ids[1]}/delete", data={"queue": name}).status_code == 404
    assert len(new_rows(app, seen)) == 2
