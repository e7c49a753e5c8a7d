"""Helpers for the integration API tests (09-api.md): requests with a key, and the
one error shape of API-04."""
from __future__ import annotations

import re

from tests.support.pipeline import bearer

HANGUL = re.compile("[\uac00-\ud7a3]")


def error_of(response, status: int, code: str, field=...) -> dict:
    """API-04: {"error": {"code", "message" (Korean), "field"}} and nothing else."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert {"code", "message", "field"} <= set(error) <= {"code", "message", "field", "details"}, error
    assert error["code"] == code, error
    assert HANGUL.search(error["message"]), error["message"]
    if field is not ...:
        assert error["field"] == field, error
    return error


def post_sms(client, key, body, **headers):
    return client.post("/api/v1/sends/sms", json=body, headers={**bearer(key), **headers})


def sms_body(customer, to, text="[메가버드] 주문이 접수되었습니다.", **extra):
    return {"from": customer.phone, "to": to, "text": text, **extra}
