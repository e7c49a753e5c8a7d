"""운영 발송통계 (07-dashboard-stats.md STA-05): the customers' figures for the whole
service, one price plan and one account; the daily trend (volume per type and failure
rate); the top accounts by volume and by failure rate (with the minimum volume that makes
a rate mean something); the revenue per type; the Excel workbook; operators, finance staff
and admins may open it, customers may not; bad choices refused naming the field."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook

from app import clock
from app.extensions import db
from app.models import Account, PricePlan
from app.services.stats import reports, staff
from tests.support.compose import table_rows
from tests.support.factories import make_customer
from tests.support.foundation import customer_client, staff_client
from tests.support.pipeline import NOW
from tests.support.stats import TODAY, rollup

YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def pinned():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def usage(app, pinned):
    """Three accounts: a big sender on the standard plan, a failing one on a second plan,
    a small one; rollups over two days of this month and one of last month."""
    big = make_customer(app, kind="corporate", cash=0)
    failing = make_customer(app, kind="corporate", cash=0)
    small = make_customer(app, cash=0)
    with app.app_context():
        plan = PricePlan(name="대량 요금제", sms=15, lms=40, mms=100, alimtalk=7, friendtalk_text=12,
                         friendtalk_image=20)
        db.session.add(plan)
        db.session.flush()
        db.session.get(Account, failing.account_id).price_plan_id = plan.id
        db.session.get(Account, big.account_id).company_name = "대형상사"
        plan_id = plan.id
        db.session.commit()
    rollup(app, big.account_id, TODAY, "SMS", requested=1000, delivered=990, failed=10, charged=19_800)
    rollup(app, big.account_id, YESTERDAY, "SMS", source="api", requested=500, delivered=500, charged=10_000)
    rollup(app, big.account_id, TODAY, "ALIMTALK", requested=300, delivered=290, failed=10, charged=2_320)
    rollup(app, failing.account_id, TODAY, "SMS", requested=200, delivered=100, failed=100, charged=1_500)
    rollup(app, failing.account_id, YESTERDAY, "LMS", requested=50, delivered=25, failed=25, charged=1_000,
           points_used=0)
    rollup(app, small.account_id, TODAY, "SMS", requested=10, delivered=5, failed=5, charged=60, points_used=40)
    rollup(app, big.account_id, dt.date(2026, 10, 15), "SMS", requested=7777, delivered=7777, charged=155_540)
    return {"big": big, "failing": failing, "small": small, "plan_id": plan_id}


def test_sta05_service_plan_and_account_figures(app, usage):
    this = reports.period("this", now=NOW)
    with app.app_context():
        service = reports.type_report(reports.Scope(), "sms", this)
        plan = reports.type_report(reports.Scope(price_plan_id=usage["plan_id"]), "sms", this)
        one = reports.type_report(reports.Scope(account_id=usage["big"].account_id), "sms", this)
        revenue = reports.type_report(reports.Scope(), reports.ALL, this)
    assert [(r.code, r.sent, r.delivered, r.failed) for r in service.rows] == [
        ("SMS", 1710, 1595, 115), ("LMS", 50, 25, 25), ("MMS", 0, 0, 0)]
    assert (plan.total.sent, plan.total.failed, plan.total.charged) == (250, 125, 2_500)
    assert (one.total.sent, one.total.delivered) == (1500, 1490)
    assert [(r.code, r.charged) for r in revenue.rows if r.charged] == [("SMS", 31_360), ("LMS", 1_000),
                                                                      ("ALIMTALK", 2_320)]
    assert (revenue.total.charged, revenue.total.points_used) == (34_680, 40)


def test_sta05_daily_trend_and_failure_rate(app, usage):
    p = reports.period("custom", (TODAY - dt.timedelta(days=2)).isoformat(), TODAY.isoformat(), now=NOW)
    with app.app_context():
        trend = reports.trend(reports.Scope(), "sms", p)
        year = reports.trend(reports.Scope(), "sms", reports.period("custom", "2026-01-01", TODAY.isoformat(),
                                                                   now=NOW))
    assert trend.by == "day" and trend.buckets == (TODAY - dt.timedelta(days=2), YESTERDAY, TODAY)
    assert trend.sent["SMS"] == (0, 500, 1210) and trend.sent["LMS"] == (0, 50, 0)
    assert trend.failed["SMS"] == (0, 0, 115) and trend.failed["LMS"] == (0, 25, 0)
    assert trend.failure_rate(0) == 0.0 and round(trend.failure_rate(1), 2) == round(100 * 25 / 550, 2)
    assert year.by == "month" and len(year.buckets) == 11 and year.buckets[9] == dt.date(2026, 10, 1)
    assert year.sent["SMS"][9] == 7777 and year.sent["SMS"][10] == 1710


def test_sta05_top_accounts_by_volume_and_failure_rate(app, usage):
    this = reports.period("this", now=NOW)
    with app.app_context():
        volume = staff.top_by_volume(reports.Scope(), "sms", this)
        failure = staff.top_by_failure_rate(reports.Scope(), "sms", this)
        kakao = staff.top_by_volume(reports.Scope(), "kakao", this)
    assert [(r.account_id, r.sent) for r in volume] == [(usage["big"].account_id, 1500),
                                                        (usage["failing"].account_id, 250),
                                                        (usage["small"].account_id, 10)]
    assert volume[0].name == "대형상사" and volume[1].plan == "대량 요금제"
    # the small account fails 50 % but sent 10 (< MIN_FOR_FAILURE_RATE): not ranked
    assert [(r.account_id, round(r.failure_rate)) for r in failure] == [(usage["failing"].account_id, 50),
                                                                        (usage["big"].account_id, 1)]
    assert [(r.account_id, r.sent) for r in kakao] == [(usage["big"].account_id, 300)]


def _figures(html):
    return json.loads(re.search(r'<script type="application/json" id="stats-figures">(.*?)</script>', html,
                                flags=re.S).group(1))


@pytest.mark.parametrize("role", ["Operator", "Finance", "Admin"])
def test_sta05_page_for_each_staff_role(app, usage, role):
    _login, client = staff_client(app, role)
    response = client.get("/staff/stats/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert table_rows(html, "stats-table")[1:] == [
        ["단문", "1,710", "1,595", "115", "93.3%", "6.7%"], ["장문", "50", "25", "25", "50.0%", "50.0%"],
        ["포토", "0", "0", "0", "0.0%", "0.0%"], ["합계", "1,760", "1,620", "140", "92.0%", "8.0%"]]
    top = table_rows(html, "top-volume")
    assert top[1] == [f"대형상사 #{usage['big'].account_id}", top[1][1], "1,500", "10", "0.7%", "29,800원"]
    assert [r[2] for r in top[1:]] == ["1,500", "250", "10"]
    assert [r[2] for r in table_rows(html, "top-failure")[1:]] == ["250", "1,500"]
    revenue = table_rows(html, "revenue-table")
    assert revenue[-1] == ["합계", "1,910", "34,680원", "40원"]
    figure = json.loads(_figures(html)[0])
    assert [trace["name"] for trace in figure["data"]] == ["단문", "장문", "포토", "실패율(%)"]
    assert "서비스 전체" in html and "/vendor/plotly.min.js" in html


def test_sta05_page_per_plan_per_account_and_search(app, usage):
    _login, client = staff_client(app, "Operator")
    html = client.get(f"/staff/stats/?plan={usage['plan_id']}").get_data(as_text=True)
    assert table_rows(html, "stats-table")[-1][:4] == ["합계", "250", "125", "125"]
    assert "요금제: 대량 요금제 · 2026-11-01 ~ 2026-11-27" in html and 'id="whole-service"' in html
    html = client.get(f"/staff/stats/?account={usage['big'].account_id}&group=kakao").get_data(as_text=True)
    assert table_rows(html, "stats-table")[1] == ["알림톡", "300", "290", "10", "96.7%", "3.3%"]
    assert f"계정: 대형상사 (#{usage['big'].account_id})" in html
    html = client.get("/staff/stats/?q=대형").get_data(as_text=True)
    assert f"account={usage['big'].account_id}" in html.split('id="account-matches"')[1].split("</div>")[0]
    html = client.get("/staff/stats/?q=없는회사").get_data(as_text=True)
    assert "'없는회사'에 일치하는 계정이 없습니다." in html
    html = client.get("/staff/stats/?period=prev").get_data(as_text=True)
    assert table_rows(html, "stats-table")[1][:2] == ["단문", "7,777"]


@pytest.mark.parametrize("query,status,message", [
    ("period=custom&from=2026-11-20&to=2026-11-03", 422, "조회 시작일이 종료일보다 늦습니다."),
    ("group=push", 422, "통계 종류를 골라주세요."),
    ("plan=abc", 422, "요금제 값이 올바르지 않습니다."),
    ("plan=99999", 422, "요금제를 찾을 수 없습니다."),
    ("account=99999", 404, "계정을 찾을 수 없습니다."),
])
def test_sta05_bad_choices_are_refused_by_name(app, usage, query, status, message):
    _login, client = staff_client(app, "Finance")
    response = client.get(f"/staff/stats/?{query}")
    assert response.status_code == status and message in response.get_data(as_text=True)
    if query.startswith("period"):          # the page with its form and this month's figures
        assert 'id="stats-error"' in response.get_data(as_text=True)
    assert client.get(f"/staff/stats/export.xlsx?{query}").status_code == status


def test_sta05_excel_export(app, usage):
    _login, client = staff_client(app, "Finance")
    response = client.get("/staff/stats/export.xlsx?period=this")
    assert response.status_code == 200
    assert "filename*=UTF-8''megabird_" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["유형별", "유형별 매출", "일별 추이", "발송량 상위 계정", "실패율 상위 계정", "계정별"]
    types = [list(r) for r in book["유형별"].iter_rows(values_only=True)]
    assert types[0][:4] == ["타입", "발송건수", "성공건수", "실패건수"] and types[-1][:4] == ["합계", 1760, 1620, 140]
    revenue = [list(r) for r in book["유형별 매출"].iter_rows(values_only=True)]
    assert revenue[-1][5:] == [34_680, 40]
    trend = [list(r) for r in book["일별 추이"].iter_rows(values_only=True)]
    assert len(trend) == 1 + TODAY.day and trend[0][:3] == ["날짜", "단문 발송건수", "단문 실패건수"]
    assert trend[-1][:3] == [TODAY.isoformat(), 1210, 115] and trend[-2][:3] == [YESTERDAY.isoformat(), 500, 0]
    accounts = [list(r) for r in book["계정별"].iter_rows(values_only=True)]
    assert [r[0] for r in accounts[1:]] == [usage["big"].account_id, usage["failing"].account_id,
                                            usage["small"].account_id]
    assert accounts[1][1:6] == ["대형상사", accounts[1][2], 1500, 1490, 10]


def test_sta05_customers_may_not_open_it(app, usage):
    _customer, client = customer_client(app)
    assert client.get("/staff/stats/").status_code == 403
    assert client.get("/staff/stats/export.xlsx").status_code == 403


def test_sta05_service_totals_summed_by_the_tick_and_dirty_days_read_live(app, usage):
    """Staff's service-wide and per-plan figures read the day totals the tick sums (stats/totals)
    and, for a day changed since, the rollups: the same figures either way."""
    from app.models import UsageDayTotal, UsageDirtyDay
    from app.services.stats import totals
    this = reports.period("this", now=NOW)
    with app.app_context():
        live = reports.type_report(reports.Scope(), "sms", this)
        plan_live = reports.type_report(reports.Scope(price_plan_id=usage["plan_id"]), "sms", this)
        assert totals.refresh(NOW) == 3                              # today, yesterday, 2026-10-15
        assert db.session.query(UsageDirtyDay).count() == 0 and db.session.query(UsageDayTotal).count() > 0
        summed = reports.type_report(reports.Scope(), "sms", this)
        plan_summed = reports.type_report(reports.Scope(price_plan_id=usage["plan_id"]), "sms", this)
        trend_summed = reports.trend(reports.Scope(), "sms", this)
        db.session.commit()
    assert summed == live and plan_summed == plan_live
    assert trend_summed.sent["SMS"][-2:] == (500, 1210)
    rollup(app, usage["small"].account_id, TODAY, "SMS", requested=90, delivered=90)     # today changes again
    with app.app_context():
        assert [d for d, in db.session.query(UsageDirtyDay.day)] == [TODAY]
        again = reports.type_report(reports.Scope(), "sms", this)
        assert again.rows[0].sent == summed.rows[0].sent + 90        # the dirty day read live
        totals.refresh(NOW)
        assert reports.type_report(reports.Scope(), "sms", this) == again
        db.session.commit()
