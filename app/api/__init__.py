"""The integration API (/api/v1, 09-api.md): bearer-key auth, JSON in and out,
errors as {"error": {"code", "message", "field"}}. Endpoints call the same services
as the web pages."""
from __future__ import annotations

from flask import Flask

from app.api.hooks import hooks
from app.api.v1 import api_v1
from app.extensions import csrf


def register_api(app: Flask) -> None:
    csrf.exempt(api_v1)  # bearer keys, not cookies
    app.register_blueprint(api_v1)
    csrf.exempt(hooks)   # each upstream signs its own calls
    app.register_blueprint(hooks)
