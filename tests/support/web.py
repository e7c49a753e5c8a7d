"""Logging in through the real login form, and reading pages."""
from __future__ import annotations

import re


def login(client, username: str, password: str):
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, response.status_code
    assert "/login" not in response.headers["Location"], "login failed"
    return response


def logged_in(app, username: str, password: str):
    client = app.test_client()
    login(client, username, password)
    return client


def text_of(response) -> str:
    """The visible text of an HTML response, tags stripped, whitespace folded."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
