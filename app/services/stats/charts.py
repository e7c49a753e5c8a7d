"""The charts of 발송통계 (07-dashboard-stats.md STA-01, STA-03, STA-06) as plotly figures —
one object per chart, drawn interactively on the page and as SVG into the PDF; plain dicts in
plotly's figure schema (tests/integration/test_stats_charts.py validates them with plotly's
own classes), since building the validated objects cost a page some 30 ms — and the
SVG drawing itself: kaleido 1.x driving the installed Chromium (CHROMIUM_PATH), offline
(no MathJax, plotly.js from the package), one server kept per process and started on first
use (a cold start costs about 2 s, each chart after it about 0.15 s on the 2-core machine)."""
from __future__ import annotations

import atexit
import json
import threading

from flask import current_app

from app.domain.korean import N_

SUCCESS, FAILURE = "#2f80ed", "#eb5757"
EMPTY = "#d9d9d9"
FONT = "NanumGothic, 'Nanum Gothic', sans-serif"
_lock = threading.Lock()
_started = False


def pie(label: str, delivered: int, failed: int, *, labels=(N_("성공"), N_("실패"))) -> dict:
    """One type's 성공 / 실패 (the manual's donut with 총 발송건수 under it); a type with
    nothing sent is one grey ring at 0 %."""
    total = delivered + failed
    trace = {"type": "pie", "labels": list(labels) if total else ["-"],
             "values": [delivered, failed] if total else [1], "hole": 0.55, "sort": False,
             "direction": "clockwise", "marker": {"colors": [SUCCESS, FAILURE] if total else [EMPTY]},
             "textinfo": "percent" if total else "none"}
    if total:
        trace["hovertemplate"] = "%{label}<br>%{value:,}<br>%{percent}<extra></extra>"
    else:
        trace["hoverinfo"] = "skip"
    return {"data": [trace],
            "layout": {"title": {"text": label, "x": 0.5}, "font": {"family": FONT, "size": 13}, "width": 300,
                       "height": 300, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "showlegend": bool(total),
                       "legend": {"orientation": "h", "y": -0.05, "x": 0.5, "xanchor": "center"},
                       "annotations": [{"text": f"{total:,}", "showarrow": False, "font": {"size": 18}}]}}


#: one colour per type, in the catalogue's order within a group
SERIES = ["#2f80ed", "#27ae60", "#f2994a", "#9b51e0", "#56ccf2", "#eb5757"]
RATE = "#333333"


def trend(t, *, names: dict[str, str], rate_label: str = N_("실패율(%)"), width: int = 720,
          height: int = 320) -> dict:
    """발송건수 per type as stacked bars by day (or month) and the failure rate as a line
    on its own axis (07-dashboard-stats.md STA-05); `t` is a reports.Trend and `names`
    the types' labels."""
    form = "%Y-%m-%d" if t.by == "day" else "%Y-%m"
    x = [f"{b:{form}}" for b in t.buckets]
    data = [{"type": "bar", "x": x, "y": list(t.sent[code]), "name": names[code],
             "marker": {"color": SERIES[i % len(SERIES)]},
             "hovertemplate": "%{x}<br>" + names[code] + " %{y:,}<extra></extra>"} for i, code in enumerate(t.codes)]
    data.append({"type": "scatter", "x": x, "y": [round(t.failure_rate(i), 2) for i in range(len(x))],
                 "name": rate_label, "yaxis": "y2", "mode": "lines+markers", "line": {"color": RATE, "width": 1.5},
                 "marker": {"size": 4}, "hovertemplate": "%{x}<br>" + rate_label + " %{y:.1f}<extra></extra>"})
    return {"data": data,
            "layout": {"barmode": "stack", "font": {"family": FONT, "size": 12}, "width": width, "height": height,
                       "margin": {"l": 50, "r": 50, "t": 20, "b": 40},
                       "xaxis": {"type": "category", "tickangle": -45 if len(x) > 12 else 0, "nticks": 16},
                       "yaxis": {"title": {"text": ""}, "rangemode": "tozero", "tickformat": ",d"},
                       "yaxis2": {"overlaying": "y", "side": "right", "rangemode": "tozero", "ticksuffix": "%",
                                  "showgrid": False},
                       "legend": {"orientation": "h", "y": 1.12, "x": 0, "traceorder": "normal"}}}


def to_json(fig: dict) -> str:
    """The figure for plotly.js on the page (the same dict the PDF draws)."""
    return json.dumps(fig, ensure_ascii=False, separators=(",", ":"))


def _server() -> None:
    global _started
    with _lock:
        if _started:
            return
        import kaleido
        kaleido.start_sync_server(mathjax=False, path=current_app.config.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                  silence_warnings=True)
        atexit.register(kaleido.stop_sync_server)
        _started = True


def svg(fig: dict) -> str:
    """The figure as an SVG document (for the PDF), through this process's kaleido server."""
    import kaleido
    _server()
    return kaleido.calc_fig_sync(fig, opts={"format": "svg"}).decode()
