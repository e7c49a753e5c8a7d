"""The unit of work: one transaction per use case, committed or rolled back as a whole."""
from __future__ import annotations

import contextlib
import functools

from app.extensions import db


@contextlib.contextmanager
def transaction():
    """Commit when the block ends normally; roll back on any exception.

    A use case that calls another use case's transactional function must not nest
    them: compose the inner functions (the `_…` helpers that do not commit)."""
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def transactional(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction():
            return func(*args, **kwargs)
    return wrapper
