"""The statistics charts (07-dashboard-stats.md STA-01, STA-03): one plotly figure per type
(성공 / 실패, the total in the ring, a grey ring for nothing sent), drawn to SVG offline by
kaleido through the installed Chromium with one server per process, and embedded in a PDF
whose text reads back in Korean."""
from __future__ import annotations

import io
import re
import shutil

import pytest

from app.services.shared import pdf
from app.services.stats import charts

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None,
                                reason="no Chromium for kaleido (Ubuntu ships it as a snap)")


def test_sta01_a_pie_per_type_with_its_total():
    import plotly.graph_objects as go
    fig = go.Figure(charts.pie("단문", 60, 40))        # plotly's own classes validate our dict
    [trace] = fig.data
    assert list(trace.labels) == ["성공", "실패"] and list(trace.values) == [60, 40]
    assert fig.layout.title.text == "단문" and fig.layout.annotations[0].text == "100"
    empty = go.Figure(charts.pie("포토", 0, 0))
    assert list(empty.data[0].values) == [1] and empty.data[0].marker.colors == (charts.EMPTY,)
    assert empty.layout.annotations[0].text == "0"


def test_sta03_svg_through_one_kaleido_server_then_into_the_pdf(app):
    with app.app_context():
        first = charts.svg(charts.pie("단문", 60, 40))
        assert charts._started                        # one server for the process, kept
        again = charts.svg(charts.pie("장문", 5, 15))
        assert first.startswith("<svg") and "성공" in first and "60%" in first
        assert "장문" in again
        data = pdf.render_pdf(f"<html><body style='font-family: NanumGothic'><h1>문자발송 통계</h1>{first}</body></html>")
    from pypdf import PdfReader
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)
    assert "문자발송 통계" in text and "단문" in text and re.search(r"60\s*%", text), text


def test_sta05_the_trend_is_a_valid_plotly_figure(app):
    import datetime as dt

    import plotly.graph_objects as go

    from app.services.stats.reports import Trend
    days = (dt.date(2026, 11, 1), dt.date(2026, 11, 2))
    t = Trend("day", days, ("SMS", "LMS"), {"SMS": (10, 0), "LMS": (5, 5)}, {"SMS": (1, 0), "LMS": (0, 5)})
    fig = go.Figure(charts.trend(t, names={"SMS": "단문", "LMS": "장문"}))     # validated by plotly's classes
    assert [trace.name for trace in fig.data] == ["단문", "장문", "실패율(%)"]
    assert list(fig.data[2].y) == [round(100 / 15, 2), 100.0] and fig.layout.barmode == "stack"
    with app.app_context():
        assert charts.svg(charts.trend(t, names={"SMS": "단문", "LMS": "장문"})).startswith("<svg")
