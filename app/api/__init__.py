"""The integration API (/api/v1, 09-api.md): bearer-key auth, JSON in and out,
errors as {"error": {"code", "message", "field"}}. Endpoints call the same services
as the web pages."""
from __future__ import annotations

from flask import Blueprint, Flask

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def register_api(app: Flask) -> None:
    from app.api import v1 as _routes  # noqa: F401  (the routes)
    from app.extensions import csrf
    csrf.exempt(api_v1)  # bearer keys, not cookies
    app.register_blueprint(api_v1)
