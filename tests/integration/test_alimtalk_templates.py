"""AlimTalk templates through the service (KAT-01..05): every state transition and the
refused ones, the history, dormancy and blocking."""
from __future__ import annotations

import datetime as dt

import pytest

from app import clock
from app.errors import Forbidden, InvalidState, ValidationError
from app.extensions import db
from app.models import AccountNotice, AlimtalkTemplate, AlimtalkTemplateEvent, AuditLog
from app.services import periodic
from app.services.kakao import templates
from tests.support.factories import TEMPLATE_FIELDS, approve_channel, make_customer, make_staff, make_template
from tests.support.foundation import count, rows
from tests.support.jobs import run_worker


@pytest.fixture
def corp(app):
    customer = make_customer(app, kind="corporate")
    channel_id = approve_channel(app, customer.account_id)
    return customer, channel_id


def _template(app, template_id) -> AlimtalkTemplate:
    with app.app_context():
        t = db.session.get(AlimtalkTemplate, template_id)
        db.session.expunge(t)
        return t


def _states(app, template_id) -> list[str]:
    return [e["status"] for e in rows(app, AlimtalkTemplateEvent, AlimtalkTemplateEvent.template_id == template_id,
                                      order_by=AlimtalkTemplateEvent.id)]


def test_kat03_the_whole_review_approved(app, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="saved")
    t = _template(app, template_id)
    assert t.status == "saved" and len(t.code) <= 20 and t.variables == ["고객명", "주문번호"]
    with app.app_context():
        templates.request_review(account_id=customer.account_id, template_id=template_id, actor=None, now=clock.now())
        templates.start_review(template_id, actor=None, now=clock.now())
        templates.decide(template_id, approve=True, actor=None, now=clock.now())
        assert templates.sendable(db.session.get(AlimtalkTemplate, template_id))
    assert _states(app, template_id) == ["saved", "requested", "in_review", "approved"]
    assert count(app, AuditLog, AuditLog.object_type == "alimtalk_template") == 2
    assert count(app, AccountNotice, AccountNotice.account_id == customer.account_id,
                 AccountNotice.kind == "review:alimtalk_template") == 1


def test_kat03_rejected_then_edited_and_requested_again(app, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="rejected")
    t = _template(app, template_id)
    assert t.status == "rejected" and "가이드" in t.reject_reason
    with app.app_context():
        templates.add_comment(account_id=customer.account_id, template_id=template_id, actor=None,
                              comment="변수명을 바꿨습니다. 다시 봐주세요.", now=clock.now())
        templates.update_template(account_id=customer.account_id, template_id=template_id, actor=None,
                                  raw={**TEMPLATE_FIELDS, "content": "#{고객명}님 주문 #{주문번호} 발송 완료"},
                                  request_review=True, now=clock.now())
    t = _template(app, template_id)
    assert t.status == "requested" and t.reject_reason is None
    assert _states(app, template_id) == ["saved", "requested", "in_review", "rejected", "rejected", "saved",
                                         "requested"]


@pytest.mark.parametrize("status, action", [
    ("requested", "edit"), ("in_review", "edit"), ("approved", "edit"),
    ("in_review", "delete"), ("approved", "delete"),
    ("requested", "request"), ("approved", "request"),
    ("saved", "start"), ("approved", "start"),
    ("saved", "approve"), ("requested", "approve"), ("approved", "reject"),
    ("saved", "comment"), ("approved", "reactivate"), ("saved", "block"), ("approved", "unblock"),
])
def test_kat03_refused_transitions_change_nothing(app, corp, status, action):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status=status)
    before = _states(app, template_id)
    account = customer.account_id
    now = clock.now()
    calls = {
        "edit": lambda: templates.update_template(account_id=account, template_id=template_id, actor=None,
                                                  raw=TEMPLATE_FIELDS, now=now),
        "delete": lambda: templates.delete_template(account_id=account, template_id=template_id, now=now),
        "request": lambda: templates.request_review(account_id=account, template_id=template_id, actor=None, now=now),
        "start": lambda: templates.start_review(template_id, actor=None, now=now),
        "approve": lambda: templates.decide(template_id, approve=True, actor=None, now=now),
        "reject": lambda: templates.decide(template_id, approve=False, actor=None, now=now, reason="x"),
        "comment": lambda: templates.add_comment(account_id=account, template_id=template_id, actor=None,
                                                 comment="?", now=now),
        "reactivate": lambda: templates.reactivate(account_id=account, template_id=template_id, actor=None, now=now),
        "block": lambda: templates.block(template_id, actor=None, reason="스팸 신고", now=now),
        "unblock": lambda: templates.unblock(template_id, actor=None, now=now),
    }
    with app.app_context():
        with pytest.raises(InvalidState):
            calls[action]()
    assert _template(app, template_id).status == status
    assert _states(app, template_id) == before


def test_kat03_reject_needs_a_reason(app, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="in_review")
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            templates.decide(template_id, approve=False, actor=None, now=clock.now(), reason="  ")
    assert refused.value.field == "반려 사유"
    assert _template(app, template_id).status == "in_review"


def test_kat03_delete_rules(app, corp):
    customer, channel_id = corp
    for status in ("saved", "requested", "rejected"):
        template_id = make_template(app, customer.account_id, channel_id, status=status)
        with app.app_context():
            templates.delete_template(account_id=customer.account_id, template_id=template_id, now=clock.now())
        assert count(app, AlimtalkTemplate, AlimtalkTemplate.id == template_id) == 0
        assert count(app, AlimtalkTemplateEvent, AlimtalkTemplateEvent.template_id == template_id) == 0


def test_kat03_dormant_after_a_year_unused_then_reactivated(app, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    used = make_template(app, customer.account_id, channel_id, status="approved")
    now = clock.now()
    with app.app_context():
        assert templates.mark_dormant(now + dt.timedelta(days=364)) == 0
        templates.mark_used(used, now + dt.timedelta(days=200))
        db.session.commit()
        assert templates.mark_dormant(now + dt.timedelta(days=366)) == 1
        assert templates.mark_dormant(now + dt.timedelta(days=366)) == 0     # safe to run twice
    assert _template(app, template_id).status == "dormant"
    assert _template(app, used).status == "approved"
    with app.app_context():
        templates.reactivate(account_id=customer.account_id, template_id=template_id, actor=None,
                             now=now + dt.timedelta(days=367))
    assert _template(app, template_id).status == "approved"


def test_kat03_staff_block_and_unblock(app, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    with app.app_context():
        templates.block(template_id, actor=None, reason="스팸 신고 접수", now=clock.now())
        assert not templates.sendable(db.session.get(AlimtalkTemplate, template_id))
        templates.unblock(template_id, actor=None, now=clock.now())
    assert _template(app, template_id).status == "approved"
    assert count(app, AuditLog, AuditLog.action.in_(("block", "unblock"))) == 2


def test_kat01_individual_accounts_and_unapproved_channels_are_refused(app):
    person = make_customer(app)
    with app.app_context():
        with pytest.raises(Forbidden):
            templates.create_template(account_id=person.account_id, actor=None, raw={**TEMPLATE_FIELDS, "channel": 1},
                                      now=clock.now())
    corp = make_customer(app, kind="corporate")
    other = make_customer(app, kind="corporate")
    foreign_channel = approve_channel(app, other.account_id, "@other")
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            templates.create_template(account_id=corp.account_id, actor=None,
                                      raw={**TEMPLATE_FIELDS, "channel": foreign_channel}, now=clock.now())
    assert refused.value.field == "발신 채널 ID"
    assert count(app, AlimtalkTemplate) == 0


def test_kat01_codes_are_unique_per_account(app, corp):
    customer, channel_id = corp
    ids = [make_template(app, customer.account_id, channel_id) for _ in range(5)]
    codes = {_template(app, i).code for i in ids}
    assert len(codes) == 5


def test_kat03_a_request_reaches_the_gateway_once_through_a_real_worker(app, corp):
    """The request commits, then the job hands it to the Kakao gateway (the sandbox takes it
    into the operators' queue); the tick's relay finds nothing more to submit."""
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="requested")
    assert _template(app, template_id).submitted_at is None
    run_worker(app)
    submitted = _template(app, template_id).submitted_at
    assert submitted is not None
    with app.app_context():
        assert periodic.tick(clock.now(), only={"submit_templates"})["submit_templates"] == 0
    assert _template(app, template_id).submitted_at == submitted


def test_kat03_the_nightly_tick_marks_dormant_templates(app, corp):
    customer, channel_id = corp
    template_id = make_template(app, customer.account_id, channel_id, status="approved")
    with app.app_context():
        result = periodic.tick(clock.now() + dt.timedelta(days=400), only={"dormant_templates"})
    assert result["dormant_templates"] == 1
    assert _template(app, template_id).status == "dormant"
    assert _states(app, template_id)[-1] == "dormant"
