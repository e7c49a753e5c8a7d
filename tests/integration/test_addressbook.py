"""주소록 (SMS-12) through its pages: groups, contacts, duplicates, search, import from
xlsx/csv with a report, export to xlsx with formula injection neutralised (SEC-05), and
bad input answered 4xx naming the field."""
import io
import re

import pytest

from app.models import Contact, ContactGroup
from tests.support.compose import count, csv_bytes, one, read_xlsx, rows, table_rows, xlsx, xlsx_cells
from tests.support.compose import client, pinned  # noqa: F401  (fixtures: logged in, clock at NOW)
from tests.support.foundation import flashed, follow
from tests.support.factories import make_customer
from tests.support.web import text_of


@pytest.fixture
def customer(app):
    return make_customer(app)


def new_group(client, name) -> int:
    response = client.post("/contacts/groups", data={"name": name})
    assert response.status_code == 302, text_of(response)[:300]
    return int(re.search(r"group_id=(\d+)", response.headers["Location"]).group(1))


def add(client, group_id, phone, **fields):
    return client.post("/contacts/add", data={"group_id": str(group_id), "phone": phone, **fields})


def error_text(response) -> str:
    match = re.search(r'id="form-error">(.*?)</div>', response.get_data(as_text=True), flags=re.S)
    assert match, "no error box on the page"
    return match.group(1).strip()


def listed(client, query: str = "") -> list[list[str]]:
    return [r for r in table_rows(client.get(f"/contacts/{query}").get_data(as_text=True), "contacts")[1:]
            if len(r) > 2]


# --- groups -----------------------------------------------------------------------------------------------

def test_groups_are_created_renamed_and_deleted_with_their_contacts(app, client, customer):
    vip = new_group(client, "VIP")
    other = new_group(client, "일반")
    assert add(client, vip, "010-2345-6789", name="가").status_code == 302
    assert add(client, vip, "010-3456-7890", name="나").status_code == 302
    assert add(client, other, "010-2345-6789", name="가").status_code == 302   # another group may hold it
    page = text_of(client.get("/contacts/"))
    assert "VIP (2)" in page and "일반 (1)" in page

    response = client.post(f"/contacts/groups/{vip}/rename", data={"name": "VIP 고객"})
    assert response.status_code == 302 and "그룹 이름을 바꿨습니다" in flashed(follow(client, response))
    assert one(app, ContactGroup, ContactGroup.id == vip)["name"] == "VIP 고객"

    response = client.post(f"/contacts/groups/{vip}/delete")
    assert response.status_code == 302 and "그룹과 그 연락처를 삭제했습니다" in flashed(follow(client, response))
    assert count(app, ContactGroup) == 1
    assert [(c["group_id"], c["phone"]) for c in rows(app, Contact)] == [(other, "01023456789")]


@pytest.mark.parametrize("name,status,words", [("", 422, "그룹 이름을 입력해주세요"),
                                                ("가" * 51, 422, "그룹 이름은 50자 이하"),
                                                ("VIP", 409, "같은 이름의 그룹이 이미 있습니다")])
def test_bad_group_names_are_refused_naming_the_field(app, client, name, status, words):
    new_group(client, "VIP")
    response = client.post("/contacts/groups", data={"name": name})
    assert response.status_code == status and words in error_text(response)
    assert count(app, ContactGroup) == 1
    other = new_group(client, "일반")
    response = client.post(f"/contacts/groups/{other}/rename", data={"name": name})
    assert response.status_code == status and words in error_text(response)


# --- contacts ---------------------------------------------------------------------------------------------

def test_contacts_are_added_edited_and_deleted(app, client, customer):
    vip = new_group(client, "VIP")
    other = new_group(client, "일반")
    response = add(client, vip, "+82 10-2345-6789", name="홍길동", var1="골드", var2="12월", memo="단골")
    assert response.status_code == 302 and "연락처를 추가했습니다" in flashed(follow(client, response))
    contact = one(app, Contact)
    assert (contact["phone"], contact["name"], contact["var1"], contact["var2"], contact["memo"]) == \
        ("01023456789", "홍길동", "골드", "12월", "단골")
    assert listed(client) == [["", "홍길동", "010-2345-6789", "골드", "12월", "", "", "단골", "수정"]]

    page = client.get(f"/contacts/{contact['id']}/edit")
    assert page.status_code == 200 and 'value="홍길동"' in page.get_data(as_text=True)
    response = client.post(f"/contacts/{contact['id']}/edit", data={"group_id": str(other), "name": "홍길순",
                                                                     "phone": "010 3456 7890", "var1": "실버"})
    assert response.status_code == 302
    contact = one(app, Contact)
    assert (contact["group_id"], contact["name"], contact["phone"], contact["var1"], contact["var2"],
            contact["memo"]) == (other, "홍길순", "01034567890", "실버", None, None)

    add(client, other, "010-4567-8901", name="김")
    keep = add(client, other, "010-5678-9012", name="이")
    assert keep.status_code == 302
    ids = [c["id"] for c in rows(app, Contact) if c["name"] in ("홍길순", "김")]
    response = client.post("/contacts/delete", data={"contact_id": [str(i) for i in ids] + ["junk"]})
    assert "연락처 2건을 삭제했습니다" in flashed(follow(client, response))
    assert [c["name"] for c in rows(app, Contact)] == ["이"]


def test_a_number_twice_in_one_group_is_refused(app, client):
    vip = new_group(client, "VIP")
    add(client, vip, "010-2345-6789", name="가")
    response = add(client, vip, "01023456789", name="또")
    assert response.status_code == 409 and "이 그룹에 같은 번호가 이미 있습니다" in error_text(response)
    # editing another contact onto that number is refused the same way
    add(client, vip, "010-3456-7890", name="나")
    second = [c for c in rows(app, Contact) if c["name"] == "나"][0]
    response = client.post(f"/contacts/{second['id']}/edit", data={"group_id": str(vip), "phone": "010-2345-6789"})
    assert response.status_code == 409 and "같은 번호" in error_text(response)
    assert count(app, Contact) == 2


@pytest.mark.parametrize("fields,words", [
    ({"phone": ""}, "휴대폰 번호를 입력해주세요"),
    ({"phone": "02-123-4567"}, "010, 011, 016~019"),
    ({"phone": "010-0123-4567"}, "존재하지 않는 번호"),
    ({"phone": "010-2345-6789", "name": "가" * 51}, "이름은 50자 이하"),
    ({"phone": "010-2345-6789", "var3": "가" * 201}, "변수3은 200자 이하"),
    ({"phone": "010-2345-6789", "memo": "가" * 201}, "메모는 200자 이하"),
])
def test_bad_contacts_are_refused_naming_the_field_and_keep_the_form(app, client, fields, words):
    vip = new_group(client, "VIP")
    response = add(client, vip, **{"name": "홍길동", **fields})
    assert response.status_code == 422 and words in error_text(response)
    assert 'value="' + fields["phone"] + '"' in response.get_data(as_text=True)
    assert count(app, Contact) == 0


def test_search_by_name_number_and_memo_within_a_group(app, client):
    vip = new_group(client, "VIP")
    other = new_group(client, "일반")
    add(client, vip, "010-2345-6789", name="홍길동", memo="강남점")
    add(client, vip, "010-3456-7890", name="김영희", memo="온라인")
    add(client, other, "010-4567-8901", name="홍두깨", memo="강남점")

    def names(query):
        return sorted(r[1] for r in listed(client, query))
    assert names("?q=홍") == ["홍길동", "홍두깨"]
    assert names("?q=3456-7890") == ["김영희"]
    assert names("?q=01045678901") == ["홍두깨"]
    assert names("?q=강남") == ["홍길동", "홍두깨"]
    assert names(f"?q=강남&group_id={vip}") == ["홍길동"]
    assert names(f"?group_id={other}") == ["홍두깨"]
    assert names("?q=없는사람") == []
    assert "총 0건" in text_of(client.get("/contacts/?q=없는사람"))


def test_contacts_page_paginates(app, client):
    vip = new_group(client, "VIP")
    for i in range(23):
        add(client, vip, f"010-3{i:03d}-0000", name=f"고객{i:02d}")
    assert len(listed(client)) == 20
    assert [r[1] for r in listed(client, "?page=2")] == ["고객20", "고객21", "고객22"]
    assert "총 23건" in text_of(client.get("/contacts/?page=2"))


# --- import and export ------------------------------------------------------------------------------------

def test_import_from_xlsx_and_csv_reports_added_skipped_and_rejected(app, client):
    vip = new_group(client, "VIP")
    add(client, vip, "010-2345-6789", name="이미 있음")
    data = xlsx([["이름", "휴대폰번호", "변수1", "변수2", "변수3", "변수4"],
                 ["가", "010-2345-6789", "", "", "", ""],          # already in the group: skipped
                 ["나", 1034567890, "골드", "", "", ""],             # a number: the lost 0 restored
                 ["다", "010-4567-8901", "", "", "", "메모 아님"],
                 ["다", "010-4567-8901", "", "", "", ""],            # twice in the file
                 ["라", "02-123-4567", "", "", "", ""],
                 ["마", "=1+1", "", "", "", ""]])
    response = client.post("/contacts/import", data={"group_id": str(vip), "file": (io.BytesIO(data), "주소록.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    report = " ".join(re.sub(r"<[^>]+>", " ", re.search(r'id="import-report">(.*?)</table>', html, re.S)
                             .group(1)).split())
    assert "전체 6행 중 2건 추가" in report and "이미 있는 번호 1건" in report and "파일 안의 중복 1건" in report
    assert "오류 2건 제외" in report
    assert table_rows(html, "import-errors")[1:] == [
        ["6", "02-123-4567", "휴대폰 번호는 010, 011, 016~019로 시작해야 합니다."],
        ["7", "=1+1", "휴대폰번호 칸에 수식이 있습니다. 수식 대신 번호를 값으로 입력해주세요."]]
    assert sorted((c["name"], c["phone"], c["var1"], c["var4"]) for c in rows(app, Contact)) == [
        ("나", "01034567890", "골드", None), ("다", "01045678901", None, "메모 아님"), ("이미 있음", "01023456789", None, None)]

    cp949 = csv_bytes([["이름", "휴대폰번호"], ["똠방각하", "010-5678-9012"], ["없음", ""]], "cp949")
    response = client.post("/contacts/import", data={"group_id": str(vip), "file": (io.BytesIO(cp949), "명단.csv")},
                           content_type="multipart/form-data")
    assert "전체 2행 중 1건 추가" in text_of(response) and "오류 1건 제외" in text_of(response)
    assert "똠방각하" in [c["name"] for c in rows(app, Contact)]


@pytest.mark.parametrize("name,data,words", [
    ("empty.csv", b"", "빈 파일"),
    ("wrong.xlsx", xlsx([["이름", "전화"], ["가", "010"]]), "휴대폰번호"),
    ("broken.xlsx", b"PK\x03\x04broken", "읽을 수 없습니다"),
    ("list.pdf", b"%PDF-1.4", "xlsx 또는 csv"),
])
def test_import_refuses_bad_files_with_a_clear_4xx(app, client, name, data, words):
    vip = new_group(client, "VIP")
    response = client.post("/contacts/import", data={"group_id": str(vip), "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and words in error_text(response)
    assert count(app, Contact) == 0


def test_export_to_xlsx_neutralises_formula_injection(app, client):
    vip = new_group(client, "VIP")
    other = new_group(client, "일반")
    dangerous = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "=cmd|'/c calc'!A1"]
    for i, name in enumerate(dangerous):
        assert add(client, vip, f"010-3{i:03d}-1111", name=name, memo="=1+1" if i == 0 else "").status_code == 302
    add(client, other, "010-4000-2222", name="평범", var1="-10%")
    response = client.get("/contacts/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    cells = xlsx_cells(response.data)
    assert all(c.data_type != "f" for c in cells)
    by_value = {c.value for c in cells}
    for name in dangerous:
        assert "'" + name in by_value and name not in by_value
    assert "'=1+1" in by_value and "'-10%" in by_value and "평범" in by_value
    sheet = read_xlsx(response.data)
    assert sheet[0] == ["그룹", "이름", "휴대폰번호", "변수1", "변수2", "변수3", "변수4", "메모"]
    assert len(sheet) == 7
    assert ["일반", "평범", "01040002222", "'-10%", None, None, None, None] in sheet
    only_other = read_xlsx(client.get(f"/contacts/export.xlsx?group_id={other}").data)
    assert [r[1] for r in only_other[1:]] == ["평범"]
