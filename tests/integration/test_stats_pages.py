"""발송통계 pages (07-dashboard-stats.md STA-01..03, STA-06): 문자발송 통계 and 카카오톡발송 통계
with 전월 / 당월 / a range, one chart per type (its figure JSON for plotly.js, every number in
the HTML without the script), the table and 합계, the three notes, a bad range refused naming
조회날짜, the PDF download in Korean with a Korean file name, plotly.js served locally."""
from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import unquote

import pytest

from tests.support.compose import (  # noqa: F401  (fixtures: logged in, clock at NOW)
    NOW,
    client,
    pinned,
    table_rows,
)
from tests.support.factories import make_customer
from tests.support.foundation import customer_client
from tests.support.jobs import run_worker
from tests.support.pdftext import pdf_text
from tests.support.stats import TODAY, rollup


@pytest.fixture
def customer(app):
    customer = make_customer(app, kind="corporate", cash=0)
    rollup(app, customer.account_id, TODAY, "SMS", requested=10, delivered=8, failed=2)
    rollup(app, customer.account_id, TODAY, "SMS", source="api", requested=5, delivered=4, failed=1)
    rollup(app, customer.account_id, TODAY, "FRIENDTALK_IMAGE", requested=4, delivered=3, failed=1)
    return customer


def test_sta01_sms_statistics_with_charts_table_and_notes(client):
    response = client.get("/stats/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = table_rows(html, "stats-table")
    assert rows[1:] == [["단문", "15", "12", "3", "80.0%"], ["장문", "0", "0", "0", "0.0%"],
                        ["포토", "0", "0", "0", "0.0%"], ["합계", "15", "12", "3", "80.0%"]]
    assert "총 발송건수: 15" in html and "성공 80% · 실패 20%" in html
    assert "직접 발송한 내역과 연동 API를 사용해 발송한 내역을 합산한 통계 결과입니다." in html
    figures = json.loads(re.search(r'<script type="application/json" id="stats-figures">(.*?)</script>', html,
                                   flags=re.S).group(1))
    assert len(figures) == 4 and json.loads(figures[0])["data"][0]["values"] == [12, 3]   # 3 pies, the trend
    assert "/vendor/plotly.min.js" in html and "cdn" not in html.lower()


def test_sta01_kakao_statistics_and_periods(client):
    html = client.get("/stats/?group=kakao").get_data(as_text=True)
    assert [r[0] for r in table_rows(html, "stats-table")[1:]] == ["알림톡", "친구톡 텍스트", "친구톡 포토", "합계"]
    assert table_rows(html, "stats-table")[3] == ["친구톡 포토", "4", "3", "1", "75.0%"]
    prev = client.get("/stats/?group=sms&period=prev").get_data(as_text=True)
    assert table_rows(prev, "stats-table")[-1] == ["합계", "0", "0", "0", "0.0%"] and "2026-10-01" in prev
    custom = client.get("/stats/?period=custom&from=2026-11-27&to=2026-11-27").get_data(as_text=True)
    assert table_rows(custom, "stats-table")[-1][1] == "15"


def test_sta01_a_bad_range_is_refused_naming_the_field(client):
    response = client.get("/stats/?period=custom&from=2026-11-20&to=2026-11-03")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "조회 시작일이 종료일보다 늦습니다." in html
    # the page itself, its form keeping what was typed, this month's figures under it
    assert 'id="stats-error"' in html and 'value="2026-11-20"' in html and 'value="2026-11-03"' in html
    assert table_rows(html, "stats-table")[-1][1] == "15"
    assert client.get("/stats/?group=fax").status_code == 422
    assert client.get("/stats/pdf?period=custom&from=2026-11-20&to=2026-11-03").status_code == 422


def test_sta03_the_pdf_download_in_korean(client):
    page = client.get("/stats/?group=sms&period=this").get_data(as_text=True)
    response = client.get("/stats/pdf?group=sms&period=this")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "megabird_문자발송통계_20261101-20261127.pdf"
    text = pdf_text(response.data)
    assert "문자발송 통계" in text and "합계" in text and "80.0%" in text, text
    # every number of the page's table, in its order, and the trend (a row per day of November)
    for row in table_rows(page, "stats-table")[1:]:
        assert " ".join(row) in text, (row, text)
    assert "일별 추이" in text and "2026-11-27 15 0 0 15 20.0%" in text, text
    assert "2026-11-01 0 0 0 0 0.0%" in text


def test_sta03_a_long_range_pdf_is_built_by_a_job_with_progress(app, client, customer):
    rollup(app, customer.account_id, dt.date(2026, 3, 9), "LMS", requested=40, delivered=30, failed=10)
    query = "group=sms&period=custom&from=2026-01-01&to=2026-11-27"
    response = client.get(f"/stats/pdf?{query}")
    assert response.status_code == 302 and "/exports/" in response.headers["Location"]
    job_url = response.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "PDF 다운로드" in page and "0 / 5단계" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    run_worker(app)                          # the real RQ worker draws the charts and renders
    status = client.get(f"{job_url}?format=json").get_json()
    assert (status["status"], status["done"], status["total"]) == ("done", 5, 5)
    assert status["filename"] == "megabird_문자발송통계_20260101-20261127.pdf"
    download = client.get(job_url + "/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    text = pdf_text(download.data)
    assert "2026-01-01 ~ 2026-11-27" in text and "월별 추이" in text, text
    assert "단문 15 12 3 80.0%" in text and "장문 40 30 10 75.0%" in text and "합계 55 42 13" in text, text
    assert "2026-03 0 40 0 40 25.0%" in text and "2026-11 15 0 0 15 20.0%" in text, text


def test_sta03_another_accounts_job_is_not_found(app, client, customer):
    response = client.get("/stats/pdf?group=kakao&period=custom&from=2026-06-01&to=2026-11-27")
    job_url = response.headers["Location"]
    _other, other_client = customer_client(app)
    assert other_client.get(job_url).status_code == 404
    assert other_client.get(job_url + "/download").status_code == 404


def test_sta01_the_trend_on_the_page(client):
    html = client.get("/stats/?group=sms").get_data(as_text=True)
    figures = json.loads(re.search(r'<script type="application/json" id="stats-figures">(.*?)</script>', html,
                                   flags=re.S).group(1))
    trend = json.loads(figures[-1])
    assert [t["name"] for t in trend["data"]] == ["단문", "장문", "포토", "실패율(%)"]
    assert trend["data"][0]["y"][-1] == 15 and len(trend["data"][0]["x"]) == 27
    assert 'data-figure-index="3"' in html and table_rows(html, "trend-rows")[-1] == [
        "2026-11-27", "15", "0", "0", "15", "20.0%"]


def test_sta06_plotly_js_is_served_from_the_package(app):
    response = app.test_client().get("/vendor/plotly.min.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert b"plotly" in response.data[:2000].lower()
