"""PERF-03 and PERF-04 (11-quality.md), each measured in a fresh child process so that
its peak RSS is its own.

PERF-03: a recipients file of 100,000 rows (xlsx) parsed and validated (target < 5 s,
peak RSS < 300 MB) — app.domain.recipient_files.parse, as the compose page does.
PERF-04: the per-recipient Excel export of one send of 1,000,000 messages, streamed
(target: peak RSS < 200 MB and at most 1.3× the time of bare openpyxl write-only
writing the same rows in the same run) — app.services.history.exports.message_rows into
app.services.shared.xlsx.write_xlsx, as the export job does.

    .venv/bin/python bench/excel.py [--import-rows 100000] [--export-rows 1000000] [--backend sqlite]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time

from _env import Environment


def _rss_mb() -> float:
    """The current resident set (not the peak), from /proc."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_mb() -> float:
    """The process's high-water mark (VmHWM): unlike getrusage's ru_maxrss, which Linux
    carries over from the parent across fork and exec, it belongs to this process alone."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(target, args, queue):
    baseline = _rss_mb()
    start = time.perf_counter()
    result = target(*args)
    peak = _peak_mb()
    queue.put((time.perf_counter() - start, peak, result, peak - baseline))


def measure(target, *args):
    # a fresh interpreter: its peak RSS is the work's own, not pages inherited from this process
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, queue))
    process.start()
    seconds, peak, result, growth = queue.get()
    process.join()
    measure.growth = growth  # peak RSS above the process's resident set before the work
    return seconds, peak, result


# --- PERF-03 ------------------------------------------------------------------------------------------

def make_recipients_file(path: str, rows: int) -> None:
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("수신자")
    sheet.append(["이름", "휴대폰번호", "변수1", "변수2", "변수3", "변수4"])
    for i in range(rows):
        # numbers as numbers, as Excel users save them: the leading 0 is lost and restored
        sheet.append([f"고객{i}", 1020000000 + i, f"A{i % 7}", "2026-12-01", "", ""])
    workbook.save(path)


def parse_file(path: str):
    from app.domain import recipient_files
    parsed = recipient_files.parse(os.path.basename(path), open(path, "rb").read())
    return len(parsed.recipients), len(parsed.rejected)


# --- PERF-04 ------------------------------------------------------------------------------------------

def fill_send(app, count: int) -> int:
    from _env import raw_executemany, time_binder

    from app import clock
    from app.domain.recipients import Recipient
    from app.extensions import db
    from app.models import Account
    from app.services.sending import acceptance
    from tests.support.factories import make_customer
    customer = make_customer(app, cash=50_000_000)
    with app.app_context():
        db.session.get(Account, customer.account_id).daily_cap = 10_000_000
        db.session.commit()
        now = clock.now()
        result = acceptance.accept(acceptance.SmsRequest(account_id=customer.account_id, sender=customer.phone,
                                                   body="수출 벤치마크", recipients=[Recipient("01020000000", "첫 고객", {}, 1)]),
                                now=now)
        send_id = result.send.id
        bind = time_binder()
        stamp = bind(now)
        rows = []
        for i in range(1, count):
            state, category, code = (("failed", "wrong_number", "3004") if i % 10 == 0 else ("delivered", None, "0000"))
            rows.append((send_id, customer.account_id, "SMS", f"010{20000000 + i:08d}", f"=고객{i}" if i % 1000 == 0 else f"고객{i}",
                         None, state, code, category, stamp, 20 if state == "delivered" else 0))
            if len(rows) == 50_000:
                _insert(rows, raw_executemany)
                rows = []
        if rows:
            _insert(rows, raw_executemany)
        db.session.commit()
    return send_id


def _insert(rows, raw_executemany):
    raw_executemany("INSERT INTO message (send_id, account_id, msg_type, recipient, name, vars, state, result_code, "
                    "category, reported_at, charge) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})", rows)


def export_send(database_url: str, redis_url: str, send_id: int, path: str):
    from tests.conftest import make_app
    app = make_app(database_url, REDIS_URL=redis_url)
    with app.app_context():
        from app.services.history import exports, queries
        from app.services.shared import xlsx
        return xlsx.write_xlsx(path, title="수신자별 발송내역", headers=exports.MESSAGE_HEADERS,
                                  rows=exports.message_rows(send_id, queries.MessageFilter()))


def bare_openpyxl(rows: int, path: str):
    """The same shape of rows, made in Python and written by openpyxl write-only."""
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("수신자별 발송내역")
    sheet.append(["수신번호", "이름", "유형", "상태", "실패 분류", "결과 코드", "발송 시각(KST)", "결과 수신 시각(KST)",
                  "요금", "늦게 도착한 결과 코드"])
    for i in range(rows):
        sheet.append([f"010{20000000 + i:08d}", f"고객{i}", "SMS", "발송성공", "", "0000", "2026-11-27 10:00:00",
                      "2026-11-27 10:00:05", 20, ""])
    workbook.save(path)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="mb-bench-excel-")
    summary = []
    # PERF-03
    path = os.path.join(tmp, "recipients.xlsx")
    make_recipients_file(path, args.import_rows)
    times, rss = [], []
    for _ in range(args.runs):
        seconds, peak, (valid, rejected) = measure(parse_file, path)
        times.append(seconds)
        rss.append(peak)
        print(f"PERF-03: {args.import_rows:,} rows ({os.path.getsize(path) / 1e6:.1f} MB xlsx) parsed and validated in "
              f"{seconds:.2f}s, peak RSS {peak:.0f} MB (+{measure.growth:.0f} MB for the work; {valid:,} valid, "
              f"{rejected:,} rejected)", flush=True)
    summary.append(f"import {args.import_rows:,} rows median {sorted(times)[len(times) // 2]:.2f}s, "
                   f"peak {max(rss):.0f} MB")
    # PERF-04
    env = Environment()
    try:
        url = env.database_url(args.backend, "bench_excel")
        app = env.app(url)
        send_id = fill_send(app, args.export_rows)
        out = os.path.join(tmp, "export.xlsx")
        ratios = []
        for _ in range(max(1, args.runs - 1)):
            bare_s, bare_rss, _ = measure(bare_openpyxl, args.export_rows, os.path.join(tmp, "bare.xlsx"))
            bare_growth = measure.growth
            ours_s, ours_rss, written = measure(export_send, url, env.redis.url, send_id, out)
            ratios.append(ours_s / bare_s)
            print(f"PERF-04 {args.backend}: export of {written:,} messages {ours_s:.1f}s, peak RSS {ours_rss:.0f} MB "
                  f"(+{measure.growth:.0f} MB during the export, app included); bare openpyxl write-only {bare_s:.1f}s "
                  f"({bare_rss:.0f} MB, +{bare_growth:.0f}); ratio {ours_s / bare_s:.2f}", flush=True)
        summary.append(f"export {args.export_rows:,} rows ratio {min(ratios):.2f}-{max(ratios):.2f}, peak {ours_rss:.0f} MB")
    finally:
        env.close()
    print("SUMMARY excel: " + "; ".join(summary))


if __name__ == "__main__":
    sys.exit(main())
