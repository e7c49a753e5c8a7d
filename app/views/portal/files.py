"""Uploaded documents: served only to the owning account and to staff (SND-04, SEC-07)."""
from __future__ import annotations

from flask import g, send_file
from flask_appbuilder import BaseView, expose

from app.errors import Forbidden
from app.models import StoredFile
from app.security.tenancy import current_account_id, is_staff
from app.services.shared import files


def stored_file_response(row: StoredFile, *, download_name: str | None = None, attachment: bool = False):
    """A stored file to its owner: never cached (an account's data), and anything but a
    PDF shown in a sandbox (no script runs in an uploaded file)."""
    response = send_file(files.path_of(row), mimetype=row.content_type, as_attachment=attachment,
                         download_name=download_name or row.original_name, max_age=0)
    if not row.is_pdf:  # the browser's PDF viewer does not run in a sandboxed document
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class FileView(BaseView):
    route_base = "/files"
    default_view = "download"

    @expose("/<int:file_id>")
    def download(self, file_id):
        user = g.user
        if user is None or not user.is_authenticated:
            raise Forbidden("로그인이 필요합니다.")
        row = files.readable(file_id, account_id=None if is_staff() else current_account_id())
        return stored_file_response(row)
