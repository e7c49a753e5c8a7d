"""The cross-tenant check (ACC-07, SEC-01): a customer asking for another account's
ids gets 404 (or 403), never the data."""
from __future__ import annotations


def assert_foreign_404(client, method: str, url: str, data: dict | None = None, secret: str | None = None):
    response = client.open(url, method=method, data=data or {})
    assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
    if secret:
        assert secret not in response.get_data(as_text=True), f"{method} {url} leaked {secret!r}"
    return response
