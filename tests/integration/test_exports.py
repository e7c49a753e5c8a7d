"""Excel exports (RES-05, SEC-05): up to 10,000 rows stream at once; over that an RQ job
writes the file with its progress and a download link; every text cell that a
spreadsheet would read as a formula opens as text."""
import io
import zipfile

import pytest

from app.models import ExportJob, Message, SandboxMessage, StoredFile
from tests.support.compose import (  # noqa: F401  (fixtures: logged in, clock at NOW)
    HOUR,
    JSON,
    MINUTE,
    NOW,
    client,
    complete,
    count,
    csv_bytes,
    one,
    phones,
    pinned,
    raise_daily_cap,
    read_xlsx,
    rewrite_part,
    rows,
    sent,
    upload,
    xlsx,
    xlsx_cells,
)
from tests.support.factories import approve_optout_number, make_customer
from tests.support.foundation import flashed, follow
from tests.support.jobs import run_worker
from tests.support.web import text_of

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: text a spreadsheet would run as a formula (RES-05: =, +, -, @, tab, CR, NUL)
DANGEROUS = ["=1+1", "+82-10", "-2+3", "@SUM(A1:A9)", "\t=cmd", "\r=cmd", '=HYPERLINK("http://evil","x")']


@pytest.fixture
def customer(app):
    return make_customer(app, cash=300_000)


def assert_neutralised(data: bytes, dangerous) -> None:
    cells = xlsx_cells(data)
    assert all(c.data_type != "f" for c in cells), [c.value for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    for text in (t.replace("\r", "\n") for t in dangerous):     # XML reads a stored CR back as LF
        assert "'" + text in values, text
        assert text not in values, text


def test_a_small_per_recipient_export_streams_at_once_with_formulas_neutralised(app, client, customer):
    numbers = phones(*range(len(DANGEROUS) + 1))
    recipients = [{"phone": n, "name": name} for n, name in zip(numbers, DANGEROUS + ["평범한 이름"])]
    send_id = sent(client, customer, recipients, body="=1+1 세일 안내")
    complete(app)
    response = client.get(f"/history/{send_id}/export.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX_MIME
    assert f"megabird-send-{send_id}.xlsx" in response.headers["Content-Disposition"]
    assert_neutralised(response.data, DANGEROUS)
    sheet = read_xlsx(response.data)
    assert len(sheet) == len(numbers) + 1
    assert {r[1] for r in sheet[1:]} == {"'" + d.replace("\r", "\n") for d in DANGEROUS} | {"평범한 이름"}
    assert count(app, ExportJob) == 0
    # and the list's export of the send itself
    response = client.post("/history/export.xlsx", data={"send_id": str(send_id)})
    assert_neutralised(response.data, ["=1+1 세일 안내"])


def test_control_characters_in_names_do_not_break_the_file(app, client, customer):
    """xlsx cannot hold most control characters: a name typed with one, or uploaded in a
    cell written as `&#1;`, must not turn the export into a 500."""
    typed, uploaded = phones(1, 2)
    data = xlsx([["이름", "휴대폰번호"], ["AXB", uploaded]])
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    data = rewrite_part(data, "xl/worksheets/sheet1.xml", sheet_xml.replace(b"AXB", b"A&#1;B"))
    report = upload(client, data, "ctl.xlsx").get_json()
    assert report["preview"][0]["name"] == "AB"
    # a control character typed into a name would reach the phone: refused, naming the recipient
    refused = client.post("/sms/send", json={"sender": customer.phone, "body": "#[이름]님 안녕하세요",
                                             "recipients": [{"phone": typed, "name": "\x07벨\x1b"}],
                                             "compose_token": "ctl-token-123456"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "1번째 수신자" in refused.get_json()["error"]["message"]
    send_id = sent(client, customer, [{"phone": typed, "name": "벨"}], body="#[이름]님 안녕하세요",
                   upload_id=report["upload_id"])
    complete(app)
    texts = {r["recipient"]: r["text"] for r in rows(app, SandboxMessage)}
    assert texts[uploaded] == "AB님 안녕하세요"
    response = client.get(f"/history/{send_id}/export.xlsx")
    assert response.status_code == 200
    assert {r[0]: r[1] for r in read_xlsx(response.data)[1:]} == {typed: "벨", uploaded: "AB"}
    contacts_export = client.get("/contacts/export.xlsx")
    assert contacts_export.status_code == 200


@pytest.fixture
def big_send(app, client, customer):
    """An ad to 10,001 recipients from an uploaded file, one of them on the opt-out list:
    10,000 are pending before dispatch, 10,001 in all."""
    raise_daily_cap(app, customer.account_id, 20_000)
    header = ["이름", "휴대폰번호"]
    lines = [header] + [[DANGEROUS[i % len(DANGEROUS)] if i % 1000 == 0 else f"고객{i}", f"0102{i:07d}"]
                        for i in range(10_001)]
    report = upload(client, csv_bytes(lines), "big.csv").get_json()
    assert report["valid"] == 10_001
    client.post("/optouts/add", data={"numbers": "010-2000-0005"})
    approve_optout_number(app, customer.account_id, "0801234567")
    send_id = sent(client, customer, body="연말 감사 이벤트", is_ad=True, ad_company="메가마트", ad_optout="0801234567",
                   upload_id=report["upload_id"])
    assert count(app, Message, Message.send_id == send_id) == 10_001
    return send_id


def test_exactly_10000_rows_still_stream_and_10001_go_through_a_job_with_progress_and_a_link(app, client, big_send):
    send_id = big_send
    response = client.get(f"/history/{send_id}/export.xlsx?status=pending")
    assert response.status_code == 200 and response.mimetype == XLSX_MIME
    assert len(read_xlsx(response.data)) == 10_001            # the header and 10,000 rows
    assert count(app, ExportJob) == 0

    response = client.get(f"/history/{send_id}/export.xlsx")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job = one(app, ExportJob)
    assert job_url.endswith(f"/exports/{job['id']}")
    assert (job["status"], job["total"], job["done"], job["kind"]) == ("queued", 10_001, 0, "messages")
    assert client.get(job_url, headers=JSON).get_json() == {
        "id": job["id"], "status": "queued", "total": 10_001, "done": 0, "filename": f"megabird-send-{send_id}.xlsx",
        "error": None}
    page = client.get(job_url)
    assert "파일을 만드는 중입니다" in text_of(page) and "0 / 10,001행" in text_of(page)
    assert 'id="export-download" href="/exports/%d/download" style=display:none' % job["id"] in \
        page.get_data(as_text=True)
    early = client.get(f"/exports/{job['id']}/download")
    assert early.status_code == 302 and "아직 만들고 있습니다" in flashed(follow(client, early))

    run_worker(app)                                            # the real RQ worker builds it (and dispatches)
    status = client.get(f"{job_url}?format=json").get_json()
    assert (status["status"], status["done"], status["total"]) == ("done", 10_001, 10_001)
    page = client.get(job_url)
    assert "완료되었습니다" in text_of(page) and "10,001 / 10,001행" in text_of(page)
    assert 'style=display:none' not in page.get_data(as_text=True)
    download = client.get(f"/exports/{job['id']}/download")
    assert download.status_code == 200 and download.mimetype == XLSX_MIME
    assert f"megabird-send-{send_id}.xlsx" in download.headers["Content-Disposition"]
    sheet = read_xlsx(download.data)
    assert len(sheet) == 10_002 and sheet[0][0] == "수신번호"
    assert sorted(r[0] for r in sheet[1:])[:2] == ["01020000000", "01020000001"]
    assert_neutralised(download.data, {d.strip() for d in DANGEROUS})      # a file's cells come stripped
    stored = one(app, StoredFile, StoredFile.kind == "export")
    assert stored["account_id"] == one(app, ExportJob)["account_id"] and stored["content_type"] == XLSX_MIME
    # the export is a file of its moment: the worker's dispatch since then does not change it
    assert {r[3] for r in sheet[1:]} <= {"결과확인중", "발송실패"}


def test_perf04_a_long_read_on_sqlite_uses_a_small_cache_and_no_mapping_then_restores_them(app, backend):
    """Exports stream through read_only_connection: on SQLite neither the 64 MB page cache,
    nor the memory mapping, nor the sort by id (in memory otherwise) may grow with a
    million rows (PERF-04's flat memory); the pooled connection gets its tuning back."""
    if backend != "sqlite":
        pytest.skip("SQLite connection tuning")
    from app.extensions import (
        SQLITE_CACHE_KIB,
        SQLITE_MMAP_BYTES,
        SQLITE_SCAN_CACHE_KIB,
        SQLITE_SCAN_TEMP_STORE,
        SQLITE_TEMP_STORE,
        db,
        read_only_connection,
    )

    def pragmas(conn):
        return tuple(conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                     for name in ("cache_size", "mmap_size", "temp_store"))

    with app.app_context():
        db.engine.dispose()
        with read_only_connection() as conn:
            assert pragmas(conn) == (-SQLITE_SCAN_CACHE_KIB, 0, SQLITE_SCAN_TEMP_STORE)
        with db.engine.connect() as conn:  # the pool hands back the same connection
            assert pragmas(conn) == (-SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, SQLITE_TEMP_STORE)


def test_a_large_export_is_built_once_and_a_lost_one_is_asked_for_again(app, client, customer):
    """RES-05 jobs: building claims the export, so a job that runs twice writes one file;
    the tick asks again for an export whose enqueue was lost (Redis down) and puts back
    one whose worker died while building."""
    from app.extensions import queue
    from app.services.history import exports
    from tests.support.compose import tick
    from tests.support.pipeline import tick_only
    send_id = sent(client, customer, phones(1, 2), body="내보내기")
    complete(app)
    with app.app_context():
        job_id = exports.start_messages_export(account_id=customer.account_id, send_id=send_id, states=[],
                                                   categories=[], now=NOW).id
        queue("default").empty()                              # the enqueue never reached a worker
    tick(app, NOW + MINUTE)
    assert one(app, ExportJob)["status"] == "queued"         # not yet: it may still be on its way
    result = tick(app, NOW + 3 * MINUTE)
    assert result["relay_exports"] == 1
    run_worker(app)
    assert (one(app, ExportJob)["status"], count(app, StoredFile, StoredFile.kind == "export")) == ("done", 1)
    with app.app_context():                                   # the same job once more: nothing new
        assert exports.build(job_id) == "nothing to do"
    assert count(app, StoredFile, StoredFile.kind == "export") == 1

    # a worker that died while building leaves it running; long after RQ's timeout it goes back
    with app.app_context():
        from app.extensions import db
        db.session.get(ExportJob, job_id).status = "running"
        db.session.commit()
    assert tick_only(app, NOW + 90 * MINUTE)["relay_exports"] == 0
    assert tick_only(app, NOW + 3 * HOUR)["relay_exports"] == 1
    assert one(app, ExportJob)["status"] == "queued"
