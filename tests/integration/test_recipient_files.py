"""Recipient files on the compose page (SMS-04) and their fuzzing (SEC-04): xlsx and csv
(UTF-8 and CP949), the row-by-row report, the limits, broken and hostile files, the
sample file, and the upload used by the quote and the send (SMS-05 variables)."""
import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Message, RecipientUpload, SandboxMessage, Send, StoredFile
from tests.support.compose import (JSON, PRICES, big_xlsx, complete, count, csv_bytes, deflate_bomb_xlsx,
                                   error_of, far_cell_xlsx, phones, quote, read_xlsx, rewrite_part, rows, send, sent,
                                   upload, xlsx)
from tests.support.compose import client, pinned  # noqa: F401  (fixtures: logged in, clock at NOW)
from tests.support.factories import make_customer

HEADER = ["이름", "휴대폰번호", "변수1", "변수2", "변수3", "변수4"]


@pytest.fixture
def customer(app):
    return make_customer(app, cash=100_000)


def stored_nothing(app):
    return count(app, RecipientUpload) == 0 and count(app, StoredFile) == 0


# --- what a file gives (SMS-04) ---------------------------------------------------------------------------

def test_xlsx_report_names_row_number_and_reason_counts_duplicates_and_restores_lost_zeros(app, client):
    data = xlsx([HEADER,
                 ["홍길동", "010-2345-6789", "A등급", "", "", ""],          # row 2
                 ["김영희", 1034567890, "B등급", 150000000, 1234567890, ""],  # 3: a number, its 0 lost
                 ["이철수", "+82 10-4567-8901", "", "", "", ""],             # 4
                 ["홍길동", "01023456789", "", "", "", ""],                  # 5: duplicate of row 2
                 [None, None, None, None, None, None],                         # 6: blank, not counted
                 ["박민수", "02-123-4567", "", "", "", ""],                  # 7: a landline
                 ["최지우", "010-0123-4567", "", "", "", ""],                # 8: a range that does not exist
                 ["정하나", "전화없음", "", "", "", ""],                     # 9
                 ["", "", "메모만", "", "", ""]])                            # 10: no number at all
    response = upload(client, data, "고객명단.xlsx")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["filename"], report["total"], report["valid"], report["duplicates"], report["rejected_count"]) == \
        ("고객명단.xlsx", 8, 3, 1, 4)
    rejected = {r["row"]: r for r in report["rejected"]}
    assert sorted(rejected) == [7, 8, 9, 10]
    assert rejected[7]["phone"] == "02-123-4567" and "010, 011, 016~019" in rejected[7]["reason"]
    assert rejected[8]["phone"] == "010-0123-4567" and "존재하지 않는" in rejected[8]["reason"]
    assert rejected[9]["phone"] == "전화없음" and "숫자" in rejected[9]["reason"]
    assert rejected[10]["phone"] == "" and "입력" in rejected[10]["reason"]
    assert [(p["phone"], p["name"], p["vars"]) for p in report["preview"]] == [
        ("01023456789", "홍길동", {"1": "A등급"}),
        ("01034567890", "김영희", {"1": "B등급", "2": "150000000", "3": "1234567890"}),   # amounts stay amounts
        ("01045678901", "이철수", {})]
    assert report["has_variables"] is True
    upload_row = db_upload(app, report["upload_id"])
    assert (upload_row["total_rows"], upload_row["valid_rows"]) == (8, 3)


def db_upload(app, upload_id):
    with app.app_context():
        row = db.session.get(RecipientUpload, upload_id)
        return {"total_rows": row.total_rows, "valid_rows": row.valid_rows, "account_id": row.account_id}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_csv_in_utf8_and_cp949_gives_the_same_rows(app, client, encoding):
    # 똠 and 햏 are CP949's extended syllables (not in EUC-KR)
    data = csv_bytes([HEADER, ["김똠", "010-2345-6789", "햏복", "", "", ""], ["이영", "010 3456 7890", "", "", "", ""],
                      ["박", "1012", "", "", "", ""]], encoding)
    response = upload(client, data, "명단.csv")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["total"], report["valid"], report["rejected_count"]) == (3, 2, 1)
    assert [(p["phone"], p["name"], p["vars"]) for p in report["preview"]] == [
        ("01023456789", "김똠", {"1": "햏복"}), ("01034567890", "이영", {})]
    assert report["rejected"][0]["row"] == 4 and report["rejected"][0]["phone"] == "1012"


def test_formulas_in_the_phone_column_are_reported_as_invalid_rows(app, client):
    data = xlsx([HEADER,
                 ["가", "=1+1", "", "", "", ""],
                 ["나", '=HYPERLINK("http://evil.example","01023456789")', "", "", "", ""],
                 [None, "=1+1", None, None, None, None],                      # the formula alone on its row
                 ["라", "010-4567-8901", "", "", "", ""]])
    report = upload(client, data, "수식.xlsx").get_json()
    assert (report["total"], report["valid"], report["rejected_count"]) == (4, 1, 3)
    assert [(r["row"], r["phone"]) for r in report["rejected"]] == [
        (2, "=1+1"), (3, '=HYPERLINK("http://evil.example","01023456789")'), (4, "=1+1")]
    assert all("수식" in r["reason"] for r in report["rejected"])
    # the same in a csv: text that is not a number
    report = upload(client, csv_bytes([HEADER, ["가", "=1+1", "", "", "", ""], ["나", "@SUM(1)", "", "", "", ""],
                                       ["다", "010-4567-8901", "", "", "", ""]]), "수식.csv").get_json()
    assert [(r["row"], r["phone"]) for r in report["rejected"]] == [(2, "=1+1"), (3, "@SUM(1)")]


def test_a_header_may_sit_below_blank_rows_and_columns_and_rows_keep_their_sheet_numbers(app, client):
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "휴대폰번호", "이름"
    sheet["C4"], sheet["D4"] = "010-2345-6789", "가"
    sheet["C5"], sheet["D5"] = "=1+1", "나"
    sheet["C6"], sheet["D6"] = "02-000", "다"
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = upload(client, buffer.getvalue(), "offset.xlsx").get_json()
    assert report["valid"] == 1 and report["preview"][0]["name"] == "가"
    assert [(r["row"], r["phone"]) for r in report["rejected"]] == [(5, "=1+1"), (6, "02-000")]


# --- refusals: clear 4xx, nothing stored (SEC-04) --------------------------------------------------------

def _rows_csv(n):
    return ("휴대폰번호\r\n" + "".join(f"0102{i:07d}\r\n" for i in range(n))).encode()


XLSX_OK = xlsx([HEADER, ["가", "010-2345-6789", "", "", "", ""]])
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000      # a .xls (BIFF in OLE2), renamed

REFUSED = [
    ("empty.xlsx", b"", "empty_file", "빈 파일"),
    ("empty.csv", b"", "empty_file", "빈 파일"),
    ("blank-lines.csv", b"\r\n\r\n,,\r\n", "empty_file", "빈 파일"),
    ("header-only.xlsx", xlsx([HEADER]), "no_rows", "머리글만"),
    ("header-only.csv", csv_bytes([HEADER]), "no_rows", "머리글만"),
    ("wrong-columns.xlsx", xlsx([["이름", "전화"], ["가", "010-2345-6789"]]), "missing_phone_column", "휴대폰번호"),
    ("wrong-columns.csv", csv_bytes([["name", "tel"], ["가", "010-2345-6789"]]), "missing_phone_column",
     "휴대폰번호"),
    ("100001.csv", _rows_csv(100_001), "too_many_rows", "100,000행"),
    ("truncated.xlsx", XLSX_OK[: len(XLSX_OK) // 2], "unreadable_file", "읽을 수 없습니다"),
    ("random.xlsx", bytes(range(256)) * 40, "unreadable_file", "xlsx 파일이 아닙니다"),
    ("zip-random.xlsx", b"PK\x03\x04" + bytes(range(256)) * 40, "unreadable_file", "읽을 수 없습니다"),
    ("old.xlsx", OLE2, "unreadable_file", "xlsx 파일이 아닙니다"),
    ("not-excel.xlsx", rewrite_part(XLSX_OK, "xl/workbook.xml", b"<nonsense"), "unreadable_file",
     "읽을 수 없습니다"),
    ("recipients.xls", OLE2, "invalid_file_type", "xlsx 또는 csv"),
    ("recipients.txt", b"010-2345-6789\n", "invalid_file_type", "xlsx 또는 csv"),
    ("binary.csv", "휴대폰번호\n".encode() + b"\x00\x01\x02\n", "unreadable_file", "이진 파일"),
    ("utf16.csv", b"\xff\xfe" + "휴대폰번호".encode("utf-16-le"), "unreadable_file", "인코딩"),
    ("undecodable.csv", "휴대폰번호\n".encode() + b"\x80\x80\xff\n", "unreadable_file", "인코딩"),
]


@pytest.mark.parametrize("name,data,code,words", REFUSED, ids=[r[0] for r in REFUSED])
def test_broken_empty_and_oversized_files_get_a_clear_4xx_and_store_nothing(app, client, name, data, code, words):
    response = upload(client, data, name)
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:300])
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, "파일") and words in error["message"], error
    assert stored_nothing(app)


def test_the_limit_is_100000_rows_exactly(app, client):
    report = upload(client, _rows_csv(100_000), "100000.csv").get_json()
    assert (report["total"], report["valid"], report["rejected_count"]) == (100_000, 100_000, 0)
    data = big_xlsx(["이름", "휴대폰번호"], ([f"고객{i}", 1020000000 + i] for i in range(100_001)))
    response = upload(client, data, "100001.xlsx")
    assert response.status_code == 422 and "최대 100,000행" in error_of(response)["message"]
    assert count(app, RecipientUpload) == 1


def test_no_file_at_all_names_the_field(app, client):
    response = client.post("/sms/recipients/upload", data={}, content_type="multipart/form-data", headers=JSON)
    assert response.status_code == 422 and error_of(response)["field"] == "파일"


def test_a_file_over_30mb_is_refused_with_its_limit(app, client):
    data = b"\xef\xbb\xbf\xed\x9c\xb4\xeb\x8c\x80\xed\x8f\xb0\xeb\xb2\x88\xed\x98\xb8\r\n" + b"01023456789\r\n" * (
        30 * 1024 * 1024 // 13 + 10)
    response = upload(client, data, "big.csv")
    assert response.status_code == 422 and "30MB" in error_of(response)["message"]
    assert stored_nothing(app)


def _calamine_survives(data: bytes) -> tuple[int, str]:
    """Parse in a child process first: a reader that aborts must fail this test, not
    kill the test run."""
    root = Path(__file__).resolve().parents[2]
    code = ("import sys; from app.domain import recipient_files as r\n"
            "try:\n    r.parse('bomb.xlsx', sys.stdin.buffer.read())\n"
            "except Exception as e:\n    print(type(e).__name__, getattr(e, 'code', ''))\n")
    result = subprocess.run([sys.executable, "-c", code], input=data, cwd=root, capture_output=True, timeout=120)
    return result.returncode, result.stdout.decode()


def test_a_5kb_xlsx_with_a_cell_at_xfd1048576_is_refused_without_reading_the_sheet(app, client):
    """python-calamine allocates the sheet's extent (1,048,576 × 16,384 cells, 512 GB) and
    aborts the process: the file must be refused before it gets there."""
    data = far_cell_xlsx()
    assert len(data) < 10_000
    returncode, output = _calamine_survives(data)
    assert returncode == 0 and "ValidationError too_many_rows" in output, (returncode, output)
    response = upload(client, data, "far.xlsx")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "too_many_rows" and "100,000행" in error["message"] and "16,384열" in error["message"]
    assert stored_nothing(app)


def test_a_zip_bomb_xlsx_is_refused_by_its_inflated_size(app, client):
    data = deflate_bomb_xlsx(160)
    assert len(data) < 1_000_000
    response = upload(client, data, "bomb.xlsx")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "file_too_large" and "150MB" in error["message"]
    assert stored_nothing(app)


# --- the sample file --------------------------------------------------------------------------------------

def test_the_sample_file_downloads_and_uploads_back(app, client):
    response = client.get("/sms/sample.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = read_xlsx(response.data)
    assert sheet[0] == HEADER and len(sheet) == 3
    report = upload(client, response.data, "sample.xlsx").get_json()
    assert (report["total"], report["valid"], report["rejected_count"]) == (2, 2, 0)
    assert report["preview"][0] == {"phone": "01023456789", "name": "홍길동", "vars": {"1": "A등급", "2": "2026-12-01"}}


# --- the upload in a send (SMS-04, SMS-05) ----------------------------------------------------------------

def test_an_uploaded_file_is_quoted_and_sent_with_its_names_and_variables(app, client, customer):
    a, b, c = phones(10, 11, 12)
    data = xlsx([HEADER, ["홍길동", a, "골드", "12월 1일", "", ""], ["김영희", int(b), "실버", "12월 2일", "", ""],
                 ["이철수", c, "브론즈", "12월 3일", "", ""], ["중복", a, "x", "y", "", ""], ["오류", "02-000", "", "", "", ""]])
    report = upload(client, data, "명단.xlsx").get_json()
    body = "#[이름]님, #[1] 회원 혜택이 #[2]까지입니다."
    response = quote(client, customer, body=body, upload_id=report["upload_id"])
    assert response.status_code == 200, response.get_json()
    q = response.get_json()
    assert (q["type"], q["recipients"], q["unit_price"], q["hold"]) == ("SMS", 3, PRICES["SMS"], 3 * PRICES["SMS"])
    send_id = sent(client, customer, body=body, upload_id=report["upload_id"])
    complete(app)
    with app.app_context():
        texts = {m.recipient: m.text for m in db.session.scalars(select(SandboxMessage))}
        names = {m.recipient: m.name for m in db.session.scalars(select(Message).where(Message.send_id == send_id))}
    assert texts == {a: "홍길동님, 골드 회원 혜택이 12월 1일까지입니다.", b: "김영희님, 실버 회원 혜택이 12월 2일까지입니다.",
                     c: "이철수님, 브론즈 회원 혜택이 12월 3일까지입니다."}
    assert names == {a: "홍길동", b: "김영희", c: "이철수"}


def test_a_variable_missing_in_the_file_is_refused_before_sending_naming_the_recipient(app, client, customer):
    a, b = phones(10, 11)
    report = upload(client, csv_bytes([HEADER, ["가", a, "1등", "", "", ""], ["나", b, "", "", "", ""]]),
                    "v.csv").get_json()
    for url in ("/sms/quote", "/sms/send"):
        response = (quote if url == "/sms/quote" else send)(client, customer, body="#[1] 당첨!",
                                                               upload_id=report["upload_id"])
        assert response.status_code == 422
        error = error_of(response)
        assert (error["code"], error["field"]) == ("missing_variable", "수신자") and "2번째 수신자" in error["message"]
    assert count(app, Send) == 0


def test_an_upload_of_another_account_or_a_made_up_id_is_not_found(app, client, customer):
    response = quote(client, customer, upload_id=987654)
    assert response.status_code == 404


def test_compose_drafts_are_kept_a_week_then_deleted_with_their_bytes(app, client, customer):
    """Recipient files and attached images are kept for the send that uses them, not
    for ever; a send keeps its own copy of its images (its history still shows them)."""
    import datetime as dt
    from app.services import periodic
    from tests.support.compose import NOW
    from tests.support.uploads import jpeg
    report = upload(client, csv_bytes([["휴대폰번호"], ["01023456789"]]), "list.csv").get_json()
    picture = client.post("/sms/images", data={"image": (io.BytesIO(jpeg((200, 100))), "p.jpg")},
                          content_type="multipart/form-data", headers=JSON).get_json()
    send_id = sent(client, customer, body="사진", image_ids=[picture["image_id"]], upload_id=report["upload_id"])
    stored_dir = Path(app.config["UPLOAD_DIR"])
    assert count(app, StoredFile) == 3 and len(list(stored_dir.iterdir())) == 3    # file, draft image, send's copy
    with app.app_context():
        assert periodic.tick(NOW + dt.timedelta(days=6), only={"purge_drafts"})["purge_drafts"] == 0
        assert periodic.tick(NOW + dt.timedelta(days=8), only={"purge_drafts"})["purge_drafts"] == 2
    assert count(app, RecipientUpload) == 0
    [kept] = rows(app, StoredFile)
    assert kept["kind"] == "mms_image" and [p.name for p in stored_dir.iterdir()] == [kept["stored_name"]]
    assert client.get(f"/history/{send_id}").status_code == 200
    assert client.post("/sms/quote", json={"upload_id": report["upload_id"]}, headers=JSON).status_code == 404
