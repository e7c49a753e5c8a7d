"""PERF-07 (11-quality.md): the statistics PDF (07 STA-03) of one month with its charts (a pie
per type and the daily trend) —
cold (the process's first: WeasyPrint's imports and fonts, kaleido's Chromium started) and
warm (the kaleido server kept). Figures in seconds; the report reads the rollups of a
month of the whole service (an empty database reads as fast: STA-04).

    .venv/bin/python bench/stats_pdf.py [--runs 3] [--group sms|kakao]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from _env import Environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--group", default="sms", choices=("sms", "kakao"))
    args = parser.parse_args()
    env = Environment()
    try:
        from app import clock
        from app.services.stats import pdf as stats_pdf
        from app.services.stats import reports
        app = env.app(env.database_url("sqlite", "bench_stats_pdf"))
        with app.test_request_context():
            month = reports.period("this", now=clock.now())
            report = reports.type_report(None, args.group, month)
            trend = reports.trend(None, args.group, month)
            times = []
            for _ in range(args.runs + 1):
                started = time.perf_counter()
                data = stats_pdf.report_pdf(report, trend, company="메가버드", now=clock.now())
                times.append(time.perf_counter() - started)
        cold, warm = times[0], times[1:]
        print(f"PERF-07 statistics PDF ({args.group}, {len(data):,} bytes): cold {cold:.2f}s (target < 6 s), "
              f"warm median {statistics.median(warm):.2f}s of {', '.join(f'{t:.2f}' for t in warm)} (target < 2 s)")
    finally:
        env.close()


if __name__ == "__main__":
    sys.exit(main())
