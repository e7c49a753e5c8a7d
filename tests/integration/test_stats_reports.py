"""발송통계 from the rollups (07-dashboard-stats.md STA-01, STA-02, STA-04): 전월 / 당월 /
a custom range in KST days, one row per type and 합계, web and API added together, another
account's and a deleted send's messages left out, a Kakao send's fallback counted under its
SMS type, refusals naming 조회날짜."""
from __future__ import annotations

import datetime as dt

import pytest

from app.errors import ValidationError
from app.services.history import retention
from app.services.stats import reports
from tests.support.factories import make_customer
from tests.support.pipeline import NOW, accept, phones, run_to_completion
from tests.support.stats import TODAY, rollup


def test_sta01_periods_in_kst_days():
    assert reports.period(None, now=NOW) == reports.Period(dt.date(2026, 11, 1), TODAY, "this")
    assert reports.period("prev", now=NOW) == reports.Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "prev")
    january = dt.datetime(2026, 1, 10, 3, 0)
    assert reports.period("prev", now=january).start == dt.date(2025, 12, 1)
    late = dt.datetime(2026, 11, 30, 16, 0)         # 01:00 KST on 12-01: already December
    assert reports.period("this", now=late).start == dt.date(2026, 12, 1)
    custom = reports.period("custom", "2026-11-03", "2026-11-20", now=NOW)
    assert (custom.start, custom.end, custom.days) == (dt.date(2026, 11, 3), dt.date(2026, 11, 20), 18)


@pytest.mark.parametrize("args,code", [(("custom", "2026-11-20", "2026-11-03"), "invalid_range"),
                                       (("custom", "2026-11-01", "2026-11-28"), "invalid_range"),
                                       (("custom", "2025-01-01", "2026-11-27"), "range_too_long"),
                                       (("custom", "11/03/2026", "2026-11-20"), "invalid_date"),
                                       (("week",), "invalid_choice")])
def test_sta01_a_bad_range_names_the_field(args, code):
    with pytest.raises(ValidationError) as refused:
        reports.period(*args, now=NOW)
    assert (refused.value.code, refused.value.field) == (code, "조회날짜")


def test_sta01_sta02_rows_per_type_web_and_api_together_and_only_the_account(app):
    customer = make_customer(app, cash=0)
    other = make_customer(app, cash=0)
    rollup(app, customer.account_id, TODAY, "SMS", requested=10, delivered=8, failed=2)
    rollup(app, customer.account_id, TODAY, "SMS", source="api", requested=5, delivered=5)
    rollup(app, customer.account_id, dt.date(2026, 11, 2), "LMS", requested=4, delivered=1, failed=3)
    rollup(app, customer.account_id, dt.date(2026, 10, 31), "SMS", requested=100, delivered=100)
    rollup(app, customer.account_id, TODAY, "ALIMTALK", requested=7, delivered=7)
    rollup(app, other.account_id, TODAY, "SMS", requested=999, delivered=999)
    with app.app_context():
        report = reports.type_report(customer.account_id, "sms", reports.period("this", now=NOW))
        kakao = reports.type_report(customer.account_id, "kakao", reports.period("this", now=NOW))
        october = reports.type_report(customer.account_id, "sms", reports.period("prev", now=NOW))
        service = reports.type_report(None, "sms", reports.period("this", now=NOW))
    assert [(r.label, r.sent, r.delivered, r.failed) for r in report.rows] == [
        ("단문", 15, 13, 2), ("장문", 4, 1, 3), ("포토", 0, 0, 0)]
    assert (report.total.sent, report.total.delivered, report.total.failed) == (19, 14, 5)
    assert round(report.rows[0].rate, 1) == 86.7 and report.rows[2].rate == 0.0
    assert [r.label for r in kakao.rows] == ["알림톡", "친구톡 텍스트", "친구톡 포토"] and kakao.total.sent == 7
    assert october.total.sent == 100
    assert service.rows[0].sent == 15 + 999


def test_sta02_sta04_a_real_send_counts_and_a_deleted_one_leaves(app):
    customer = make_customer(app, cash=100_000)
    send_id = accept(app, customer, phones(0, 1, 90)).send_id
    run_to_completion(app)
    with app.app_context():
        before = reports.type_report(customer.account_id, "sms", reports.period("this", now=NOW))
    assert (before.rows[0].sent, before.rows[0].delivered, before.rows[0].failed) == (3, 2, 1)
    with app.app_context():
        retention.delete_sends(account_id=customer.account_id, send_ids=[send_id])
        after = reports.type_report(customer.account_id, "sms", reports.period("this", now=NOW))
    assert after.total.sent == 0
