"""Storing and serving uploaded files outside the web root (SEC-07).

A stored file is a row and its bytes on disk, and the two come and go together with the
use case's transaction: `store()` writes the bytes at once and removes them again if the
transaction rolls back; `delete()` deletes the rows and removes the bytes once it has
committed (app/services/shared/uow.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import shutil
from pathlib import Path

from flask import current_app

from app.domain.files import CheckedFile
from app.errors import NotFound
from app.extensions import db
from app.models import StoredFile
from app.security.tenancy import get_owned
from app.services.shared import uow


def _upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_upload(storage, *, limit: int) -> tuple[str, bytes]:
    """(filename, bytes) of a werkzeug FileStorage, reading at most limit+1 bytes."""
    if storage is None:
        return "", b""
    data = storage.stream.read(limit + 1)
    return storage.filename or "", data


def store(*, account_id: int | None, kind: str, filename: str, data: bytes, checked: CheckedFile,
          now: dt.datetime) -> StoredFile:
    """Write the bytes under a random name and add the row to the current transaction;
    if it rolls back, the bytes go too."""
    stored_name = _staged_name()
    (_upload_dir() / stored_name).write_bytes(data)
    return _add_row(account_id=account_id, kind=kind, filename=filename, stored_name=stored_name,
                    checked=checked, size=len(data), sha256=hashlib.sha256(data).hexdigest(), now=now)


def store_file(*, account_id: int | None, kind: str, filename: str, source: str | Path,
               checked: CheckedFile, now: dt.datetime) -> StoredFile:
    """Like store(), for a file we wrote ourselves (an export): moved, not read into memory."""
    stored_name = _staged_name()
    target = _upload_dir() / stored_name
    digest = hashlib.sha256()
    with open(source, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    shutil.move(str(source), target)
    return _add_row(account_id=account_id, kind=kind, filename=filename, stored_name=stored_name,
                    checked=checked, size=target.stat().st_size, sha256=digest.hexdigest(), now=now)


def _staged_name() -> str:
    """A new random name whose bytes are removed if the current transaction rolls back."""
    stored_name = secrets.token_hex(16)
    uow.after_rollback(lambda: _unlink(stored_name))
    return stored_name


def _add_row(*, account_id, kind, filename, stored_name, checked, size, sha256, now) -> StoredFile:
    row = StoredFile(account_id=account_id, kind=kind, original_name=(filename or "file")[-255:],
                     stored_name=stored_name, content_type=checked.content_type, size=size,
                     sha256=sha256, created_at=now)
    db.session.add(row)
    return row


def delete(rows) -> None:
    """Delete the rows in the current transaction; their bytes go once it has committed."""
    names = [row.stored_name for row in rows if row is not None]
    for row in rows:
        if row is not None:
            db.session.delete(row)
    if names:
        uow.after_commit(lambda: [_unlink(name) for name in names])


def _unlink(stored_name: str) -> None:
    try:
        (_upload_dir() / stored_name).unlink(missing_ok=True)
    except OSError:
        pass


def readable(file_id, *, account_id: int | None) -> StoredFile:
    """The stored file `file_id` for a customer of `account_id` (NotFound for another
    account's), or for staff (`account_id` None): any."""
    if account_id is not None:
        return get_owned(StoredFile, file_id, account_id)
    row = db.session.get(StoredFile, file_id)
    if row is None:
        raise NotFound()
    return row


def path_of(row: StoredFile) -> Path:
    path = _upload_dir() / row.stored_name
    if not path.is_file():
        raise NotFound("파일을 찾을 수 없습니다.")
    return path
