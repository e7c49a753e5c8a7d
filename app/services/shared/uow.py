"""The unit of work: one transaction per use case, committed or rolled back as a whole.

`transaction()` opened inside another one joins it: only the outermost block commits,
and an error anywhere in it rolls the whole use case back. So a service may call another
service that opens a transaction of its own (approving a bank transfer credits the
ledger; an idempotent API call wraps the send it makes), and every public service
function can run on its own or inside a larger use case. An error raised inside a joined
block belongs to the whole use case: catch it outside the outermost block, never inside.

Work that must wait for the outcome registers with the transaction: `after_commit(fn)`
(enqueue a job, remove the bytes of deleted files) and `after_rollback(fn)` (remove the
bytes of files a failed use case stored, count a wrong verification code). They run once
the outermost block has ended, in the order registered; one that fails is logged and
does not stop the others.

Batch loops that commit once per batch (dispatch, reports, the tick's tasks) commit
the session themselves and say so in their docstrings."""
from __future__ import annotations

import contextlib
import logging
from typing import Callable, TypeVar

from sqlalchemy.exc import IntegrityError

from app.extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")
_STATE = "megabird_unit_of_work"


class _Unit:
    """What the session's current use case has registered (kept in `session.info`)."""

    def __init__(self):
        self.depth = 0
        self.on_commit: dict[object, Callable[[], object]] = {}
        self.on_rollback: dict[object, Callable[[], object]] = {}

    def take(self, committed: bool) -> list[Callable[[], object]]:
        hooks = list((self.on_commit if committed else self.on_rollback).values())
        self.on_commit, self.on_rollback = {}, {}
        return hooks


def _unit() -> _Unit:
    return db.session.info.setdefault(_STATE, _Unit())


def active() -> bool:
    """Whether a `transaction()` block is open on this session."""
    return _unit().depth > 0


@contextlib.contextmanager
def transaction():
    """Commit when the outermost block ends normally; roll back on any exception."""
    unit = _unit()
    if unit.depth:
        unit.depth += 1
        try:
            yield db.session
        finally:
            unit.depth -= 1
        return
    unit.depth = 1
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        unit.depth = 0
        _run(unit.take(committed=False))
        raise
    finally:
        unit.depth = 0
    _run(unit.take(committed=True))


def _run(hooks: list[Callable[[], object]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:      # a hook's failure is its own: the use case has ended either way
            log.exception("after-transaction hook %r failed", hook)


def _register(table: str, fn: Callable[[], object], key) -> None:
    unit = _unit()
    if not unit.depth:
        raise RuntimeError("after_commit/after_rollback need an open transaction()")
    getattr(unit, table)[key if key is not None else object()] = fn


def after_commit(fn: Callable[[], object], *, key=None) -> None:
    """Run `fn` once the outermost transaction has committed (not at all if it rolls
    back). A `key` registers it once however often it is asked for."""
    _register("on_commit", fn, key)


def after_rollback(fn: Callable[[], object], *, key=None) -> None:
    """Run `fn` once the outermost transaction has rolled back (not at all if it commits)."""
    _register("on_rollback", fn, key)


def first_or_make(find: Callable[[], T | None], make: Callable[[], T]) -> T:
    """What `find()` finds, else `make()` in a transaction — for a row with a unique key
    (a ledger entry, an idempotency record). When `make()` loses a race with another
    transaction that committed the same key first, that one's row is returned. Inside an
    outer transaction the loser's error goes to the outermost caller, the only one that
    can roll back."""
    found = find()
    if found is not None:
        return found
    if active():
        return make()
    try:
        with transaction():
            return make()
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found
