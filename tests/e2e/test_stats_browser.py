"""발송통계 in a real browser (07-dashboard-stats.md STA-01, STA-06): the page draws one
plotly pie per type (plotly.js from /vendor/plotly.min.js under the site's CSP) with the
total in its middle, the same numbers as the table; 전월, 당월 and a custom range switch the
report and the URL; 카카오톡발송 통계 has its three types; a reversed range is refused in
Korean on the page (no browser box, no 500); a slice shows plotly's hover label and a
legend click hides it; nothing is asked of another host and nothing is missing (404).
The server's clock is pinned at 12:00 KST on 2026-11-27 (the live server runs in this
process), as in the integration page tests."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from app import clock
from tests.e2e.conftest import login
from tests.support.factories import make_customer
from tests.support.pipeline import NOW
from tests.support.stats import TODAY, rollup

pytestmark = pytest.mark.e2e

THIS_MONTH_EARLY = dt.date(2026, 11, 3)
LAST_MONTH = dt.date(2026, 10, 15)
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(autouse=True)
def noon():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def customer(app):
    """This month: 단문 1,000 on the 3rd (web) and 234 today (API), 장문 50, nothing in 포토;
    알림톡 300 and 친구톡 포토 40. Last month: 단문 2,345 and 장문 7."""
    customer = make_customer(app, kind="corporate", cash=0)
    a = customer.account_id
    rollup(app, a, THIS_MONTH_EARLY, "SMS", requested=1000, delivered=900, failed=100)
    rollup(app, a, TODAY, "SMS", source="api", requested=234, delivered=200, failed=34)
    rollup(app, a, TODAY, "LMS", requested=50, delivered=45, failed=5)
    rollup(app, a, TODAY, "ALIMTALK", requested=300, delivered=290, failed=10)
    rollup(app, a, TODAY, "FRIENDTALK_IMAGE", requested=40, delivered=30, failed=10)
    rollup(app, a, LAST_MONTH, "SMS", requested=2345, delivered=2000, failed=345)
    rollup(app, a, LAST_MONTH, "LMS", source="api", requested=7, delivered=7, failed=0)
    return customer


class Watch:
    """What the page did besides what it showed: browser boxes (alert/confirm), requests to
    other hosts, failed responses, script errors (a CSP refusal is a console error)."""

    def __init__(self, page):
        self.dialogs, self.foreign, self.failed, self.errors, self.responses = [], [], [], [], []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob", "about") and parts.hostname not in LOCAL_HOSTS:
            self.foreign.append(request.url)

    def _response(self, response):
        self.responses.append((response.url, response.status))
        if response.status >= 400:
            self.failed.append((response.status, response.url))


def open_stats(page, customer, path="/stats/?group=sms"):
    login(page, customer.login, customer.password)
    page.goto(path)
    expect(page.locator("h1")).to_have_text("발송통계")


def table(page, code):
    return page.locator(f"#stats-table tr[data-type='{code}'] td")


def expect_chart(page, code, *, title, total, slices):
    """The chart of `code` drawn by plotly.js: its SVG, its title, the total in the hole and
    the number of slices (a type with nothing sent is one grey ring)."""
    chart = page.locator(f"#chart-{code}")
    expect(chart).to_have_class(re.compile(r"\bjs-plotly-plot\b"))
    expect(chart.locator("svg.main-svg").first).to_be_visible()
    expect(chart.locator(".gtitle")).to_have_text(title)
    expect(chart.locator(".annotation-text")).to_have_text(total)
    expect(chart.locator("g.slice path.surface")).to_have_count(slices)


def query(text):
    return {k: v[0] for k, v in parse_qs(text).items()}


def url_query(page):
    """The query of the page's URL, one value per name."""
    return query(urlsplit(page.url).query)


def slice_point(page, code, index):
    """A point of the page well inside slice `index` of the chart (a donut slice's box
    centre may be in the hole or on the other slice): the first point of a grid over the
    slice's box whose neighbours are in the slice too, in page coordinates."""
    return page.locator(f"#chart-{code} g.slice path.surface").nth(index).evaluate("""path => {
        const box = path.getBBox(), ctm = path.getScreenCTM(), svg = path.ownerSVGElement;
        const inside = (x, y) => { const p = svg.createSVGPoint(); p.x = x; p.y = y; return path.isPointInFill(p); };
        for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
            const x = box.x + box.width * i / 20, y = box.y + box.height * j / 20;
            if ([[0, 0], [4, 0], [-4, 0], [0, 4], [0, -4]].every(([dx, dy]) => inside(x + dx, y + dy))) {
                const p = svg.createSVGPoint(); p.x = x; p.y = y;
                const q = p.matrixTransform(ctm);
                return {x: q.x, y: q.y};
            }
        }
        return null;
    }""")


def test_charts_table_and_period_switch(customer, browser_page):
    page = browser_page
    watch = Watch(page)
    open_stats(page, customer)

    # 당월 (the default): one drawn pie per type, its total in the middle, the table agreeing
    expect(page.locator("#stats-charts .mb-chart")).to_have_count(3)
    expect_chart(page, "SMS", title="단문", total="1,234", slices=2)
    expect_chart(page, "LMS", title="장문", total="50", slices=2)
    expect_chart(page, "MMS", title="포토", total="0", slices=1)
    # the trend: a bar series per type and the failure-rate line, drawn by the same script
    trend = page.locator("#chart-trend")
    expect(trend.locator("svg.main-svg").first).to_be_visible()
    expect(trend.locator(".legend .traces")).to_have_text(["단문", "장문", "포토", "실패율(%)"])
    expect(page.locator("#period-this")).to_have_class(re.compile(r"\bactive\b"))
    expect(table(page, "SMS")).to_have_text(["단문", "1,234", "1,100", "134", "89.1%"])
    expect(table(page, "LMS")).to_have_text(["장문", "50", "45", "5", "90.0%"])
    expect(table(page, "MMS")).to_have_text(["포토", "0", "0", "0", "0.0%"])
    expect(table(page, "TOTAL")).to_have_text(["합계", "1,284", "1,145", "139", "89.2%"])
    expect(page.locator(".mb-stats-chart[data-type='SMS']")).to_contain_text("총 발송건수: 1,234")
    expect(page.get_by_text("2026-11-01 ~ 2026-11-27의 발송 결과입니다.")).to_be_visible()

    # 전월: last month's numbers in the table and the charts, and in the URL
    page.click("#period-prev")
    expect(page).to_have_url(re.compile(r"[?&]period=prev\b"))
    assert url_query(page) == {"group": "sms", "period": "prev"}
    expect(page.locator("#period-prev")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.get_by_text("2026-10-01 ~ 2026-10-31의 발송 결과입니다.")).to_be_visible()
    expect_chart(page, "SMS", title="단문", total="2,345", slices=2)
    expect_chart(page, "LMS", title="장문", total="7", slices=2)
    expect_chart(page, "MMS", title="포토", total="0", slices=1)
    expect(table(page, "SMS")).to_have_text(["단문", "2,345", "2,000", "345", "85.3%"])
    expect(table(page, "LMS")).to_have_text(["장문", "7", "7", "0", "100.0%"])
    expect(table(page, "TOTAL")).to_have_text(["합계", "2,352", "2,007", "345", "85.3%"])
    expect(page.locator("#from")).to_have_value("2026-10-01")
    expect(page.locator("#to")).to_have_value("2026-10-31")

    # 기간 지정: 1–10 November holds only the 1,000 단문 of the 3rd
    page.fill("#from", "2026-11-01")
    page.fill("#to", "2026-11-10")
    page.click("#search")
    expect(page).to_have_url(re.compile(r"[?&]to=2026-11-10\b"))
    assert url_query(page) == {"group": "sms", "period": "custom", "from": "2026-11-01", "to": "2026-11-10"}
    expect(page.get_by_text("2026-11-01 ~ 2026-11-10의 발송 결과입니다.")).to_be_visible()
    expect_chart(page, "SMS", title="단문", total="1,000", slices=2)
    expect_chart(page, "LMS", title="장문", total="0", slices=1)
    expect(table(page, "SMS")).to_have_text(["단문", "1,000", "900", "100", "90.0%"])
    expect(table(page, "TOTAL")).to_have_text(["합계", "1,000", "900", "100", "90.0%"])
    pdf = urlsplit(page.locator("#pdf-download").get_attribute("href"))
    assert pdf.path == "/stats/pdf" and query(pdf.query) == query(urlsplit(page.url).query)

    # 당월 again
    page.click("#period-this")
    expect(page).to_have_url(re.compile(r"[?&]period=this\b"))
    expect_chart(page, "SMS", title="단문", total="1,234", slices=2)
    expect(table(page, "TOTAL")).to_have_text(["합계", "1,284", "1,145", "139", "89.2%"])

    assert watch.dialogs == [] and watch.foreign == [] and watch.failed == [] and watch.errors == []
    assert any(url.endswith("/vendor/plotly.min.js") and status in (200, 304) for url, status in watch.responses)


def test_kakao_statistics_tab(customer, browser_page):
    page = browser_page
    watch = Watch(page)
    open_stats(page, customer)
    page.click("#tab-kakao")
    expect(page).to_have_url(re.compile(r"[?&]group=kakao\b"))
    expect(page.locator("#stats-tabs li.active")).to_have_text("카카오톡발송 통계")
    expect(page.locator("#stats-charts .mb-chart")).to_have_count(3)
    expect_chart(page, "ALIMTALK", title="알림톡", total="300", slices=2)
    expect_chart(page, "FRIENDTALK_TEXT", title="친구톡 텍스트", total="0", slices=1)
    expect_chart(page, "FRIENDTALK_IMAGE", title="친구톡 포토", total="40", slices=2)
    expect(page.locator("#stats-table tr[data-type] td:first-child")).to_have_text(
        ["알림톡", "친구톡 텍스트", "친구톡 포토", "합계"])
    expect(table(page, "ALIMTALK")).to_have_text(["알림톡", "300", "290", "10", "96.7%"])
    expect(table(page, "FRIENDTALK_IMAGE")).to_have_text(["친구톡 포토", "40", "30", "10", "75.0%"])
    expect(table(page, "TOTAL")).to_have_text(["합계", "340", "320", "20", "94.1%"])

    # the range keeps the tab: 전월 of 카카오톡발송 통계 had nothing
    page.click("#period-prev")
    expect(page).to_have_url(re.compile(r"[?&]period=prev\b"))
    assert url_query(page) == {"group": "kakao", "period": "prev"}
    expect_chart(page, "ALIMTALK", title="알림톡", total="0", slices=1)
    expect(table(page, "TOTAL")).to_have_text(["합계", "0", "0", "0", "0.0%"])
    page.click("#tab-sms")
    expect(page).to_have_url(re.compile(r"[?&]group=sms\b"))
    expect(page.locator("#stats-tabs li.active")).to_have_text("문자발송 통계")
    expect(table(page, "SMS")).to_have_text(["단문", "1,234", "1,100", "134", "89.1%"])
    assert watch.dialogs == [] and watch.foreign == [] and watch.failed == [] and watch.errors == []


def test_a_reversed_range_is_refused_in_korean_on_the_page(customer, browser_page):
    page = browser_page
    watch = Watch(page)
    open_stats(page, customer)
    expect_chart(page, "SMS", title="단문", total="1,234", slices=2)
    page.fill("#from", "2026-11-20")
    page.fill("#to", "2026-11-03")
    with page.expect_response(lambda r: "/stats/?" in r.url and "period=custom" in r.url) as answer:
        page.click("#search")
    assert answer.value.status == 422
    # the page itself: the refusal beside the form, which keeps the dates typed, and this month under it
    expect(page.locator("#stats-error")).to_have_text("조회 시작일이 종료일보다 늦습니다. 이번 달 통계를 보여드립니다.")
    expect(page.locator("#from")).to_have_value("2026-11-20")
    expect(page.locator("#to")).to_have_value("2026-11-03")
    expect_chart(page, "SMS", title="단문", total="1,234", slices=2)
    # the browser's own console line for the refused document, and nothing else
    assert watch.errors == ["Failed to load resource: the server responded with a status of 422 "
                            "(UNPROCESSABLE ENTITY)"], watch.errors
    assert watch.dialogs == [] and watch.foreign == []
    assert [status for status, _ in watch.failed] == [422]
    assert not any(status >= 500 for _, status in watch.responses)


def test_hovering_a_slice_shows_its_label_and_the_legend_hides_it(customer, browser_page):
    page = browser_page
    watch = Watch(page)
    open_stats(page, customer)
    expect_chart(page, "SMS", title="단문", total="1,234", slices=2)
    chart = page.locator("#chart-SMS")
    hover = chart.locator(".hoverlayer .hovertext")
    expect(hover).to_have_count(0)

    point = slice_point(page, "SMS", 0)
    assert point is not None
    page.mouse.move(point["x"], point["y"], steps=5)
    expect(hover).to_have_count(1)
    # label, value (with its thousands separator, as the table writes it), percent
    expect(hover.locator("text.nums tspan.line")).to_have_text(["성공", "1,100", "89.1%"])

    point = slice_point(page, "SMS", 1)
    page.mouse.move(point["x"], point["y"], steps=5)
    expect(hover.locator("text.nums tspan.line")).to_have_text(["실패", "134", "10.9%"])
    page.mouse.move(1, 1)
    expect(hover).to_have_count(0)

    # a legend click on 실패 hides that slice (the pie is all 성공), a second shows it again
    legend = chart.locator(".legend .traces")
    expect(legend).to_have_count(2)
    failure = legend.filter(has_text="실패")
    failure.locator(".legendtoggle").click()
    expect(chart.locator("g.slice path.surface")).to_have_count(1)
    expect(chart.locator("g.slice text.slicetext")).to_have_text("100%")
    expect(failure).to_have_css("opacity", "0.5")
    failure.locator(".legendtoggle").click()
    expect(chart.locator("g.slice path.surface")).to_have_count(2)
    expect(chart.locator("g.slice text.slicetext")).to_have_text(["89.1%", "10.9%"])
    expect(failure).to_have_css("opacity", "1")
    assert watch.dialogs == [] and watch.foreign == [] and watch.failed == [] and watch.errors == []
