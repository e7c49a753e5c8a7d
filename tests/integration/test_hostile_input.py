"""Hostile input (SEC-04, issue 13): each of these shapes answered 500 or worse. Every one
is now a 4xx with a Korean reason, and nothing is written."""
import json

import pytest

from app.models import MessageTemplate, RecipientUpload, Send, StoredFile
from tests.support.api import post_sms, sms_body
from tests.support.factories import make_customer
from tests.support.pipeline import api_customer, count
from tests.support.uploads import shared_string_bomb
from tests.support.web import logged_in

JSON = {"Accept": "application/json", "Content-Type": "application/json"}


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def customer_client(app):
    customer = make_customer(app, cash=10_000)
    return customer, logged_in(app, customer.login, customer.password)


@pytest.mark.parametrize("levels", [33, 326, 100_000])
def test_deeply_nested_json_is_refused_before_anything_reads_it(app, customer_client, levels):
    _, client = customer_client
    for url in ("/sms/quote", "/sms/templates"):
        response = client.post(url, data=deep(levels), headers=JSON)
        assert response.status_code == 400, (url, response.status_code)
        assert response.get_json()["error"]["code"] == "json_too_deep"
    anonymous = app.test_client().post("/api/v1/sends/sms", data=deep(levels), headers=JSON)
    assert anonymous.status_code == 400 and anonymous.get_json()["error"]["code"] == "json_too_deep"
    assert count(app, MessageTemplate) == 0


def test_lone_surrogates_are_refused_in_the_api_and_the_compose_calls(app, customer_client):
    customer, client = customer_client
    raw = '{"sender": "%s", "body": "\\ud800 안내", "recipients": ["01023456789"]}' % customer.phone
    response = client.post("/sms/quote", data=raw, headers=JSON)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_character"
    api_owner, key = api_customer(app)
    body = json.dumps(sms_body(api_owner, ["01023456789"], text="x")).replace('"x"', '"\\udfff"')
    response = app.test_client().post("/api/v1/sends/sms", data=body,
                                      headers={**JSON, "Authorization": f"Bearer {key}"})
    assert response.status_code == 400 and "서로게이트" in response.get_json()["error"]["message"]
    # a real pair (an emoji written as two escapes) is a character, not an error
    pair = '{"name": "\\ud83d\\ude00 공지", "body": "내용"}'
    assert client.post("/sms/templates", data=pair, headers=JSON).status_code == 201
    assert count(app, Send) == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_numbers_we_take(app, customer_client, constant):
    customer, client = customer_client
    raw = ('{"sender": "%s", "body": "#[1] 안내", "recipients": [{"phone": "01023456789", "vars": {"1": %s}}]}'
           % (customer.phone, constant))
    response = client.post("/sms/quote", data=raw, headers=JSON)
    assert response.status_code == 400 and constant.lstrip("-") in response.get_json()["error"]["message"]


@pytest.mark.parametrize("name", [["공지"], {"a": 1}, True])
def test_a_list_or_an_object_where_text_belongs_is_refused(app, customer_client, name):
    _, client = customer_client
    response = client.post("/sms/templates", json={"name": name, "body": "내용"}, headers=JSON)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_type" and error["field"] == "템플릿 이름"
    assert count(app, MessageTemplate) == 0


def test_a_csv_field_over_the_csv_limit_names_its_row(app, customer_client):
    _, client = customer_client
    data = ("휴대폰번호,이름\n01023456789,홍길동\n01023456780," + "가" * 140_000 + "\n").encode()
    response = client.post("/sms/recipients/upload", data={"file": (__import__("io").BytesIO(data), "r.csv")},
                           content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert "CSV 3행을 읽을 수 없습니다" in response.get_json()["error"]["message"]
    assert count(app, RecipientUpload) == 0


@pytest.mark.parametrize("size, rows, code", [(1_000_000, 300, "cell_too_long"), (30_000, 3000, "file_too_large")])
def test_a_shared_string_repeated_in_many_cells_is_refused_before_it_is_decoded(app, customer_client, size, rows,
                                                                                 code):
    """A 6 KB xlsx whose one 1 MB shared string filled 300 rows took 1.3 GB and left a
    300 MB file in uploads."""
    import io
    _, client = customer_client
    data = shared_string_bomb(size=size, rows=rows)
    assert len(data) < 100_000
    stored_before = count(app, StoredFile)
    response = client.post("/sms/recipients/upload", data={"file": (io.BytesIO(data), "bomb.xlsx")},
                           content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    assert count(app, StoredFile) == stored_before and count(app, RecipientUpload) == 0


def test_a_repeated_short_shared_string_is_still_read(app, customer_client):
    import io
    _, client = customer_client
    response = client.post("/sms/recipients/upload",
                           data={"file": (io.BytesIO(shared_string_bomb(size=20, rows=50)), "ok.xlsx")},
                           content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["valid"] == 50


def test_an_inline_export_leaves_no_file_in_the_temp_folder(app, customer_client, tmp_path, monkeypatch):
    """Every inline xlsx export used to leave its temp file (customers' data) behind."""
    import tempfile
    from tests.support import pipeline as pl
    customer, client = customer_client
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    send_id = pl.accept(app, customer, pl.phones(0, 1), enqueue=False).send_id
    for response in (client.get(f"/history/{send_id}/export.xlsx"),
                     client.post("/history/export.xlsx", data={"send_id": str(send_id)}),
                     client.post("/history/export.xlsx", data={})):            # refused: nothing chosen
        response.get_data()
        assert response.status_code in (200, 422)
    assert list(tmp_path.iterdir()) == []
