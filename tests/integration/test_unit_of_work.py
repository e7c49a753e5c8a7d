"""The unit of work (app/services/shared/uow.py) on both databases: a transaction opened
inside another joins it, so a use case made of several services commits or rolls back
as a whole; work registered for after the commit (or the rollback) runs once, when the
outermost block ends; stored files come and go with the transaction."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.domain.files import CheckedFile
from app.extensions import db
from app.models import LedgerEntry, StoredFile
from app.services.shared import files, uow
from app.services.wallet import ledger
from tests.support.factories import make_customer

NOW = dt.datetime(2026, 11, 27, 3, 0)


def entries(account_id: int) -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.account_id == account_id))


class Boom(Exception):
    pass


def test_a_service_inside_another_joins_its_transaction_and_rolls_back_with_it(app):
    c = make_customer(app)
    with app.app_context():
        with pytest.raises(Boom):
            with uow.transaction():
                ledger.topup(c.account_id, 1000, key="uow:1", now=NOW)      # opens a transaction of its own
                ledger.grant_points(c.account_id, 10, reason="이벤트", key="uow:2", now=NOW)
                assert uow.active()
                raise Boom()
        assert not uow.active()
        assert entries(c.account_id) == 0 and ledger.balance(c.account_id).total == 0
        with uow.transaction():
            ledger.topup(c.account_id, 1000, key="uow:1", now=NOW)
            ledger.grant_points(c.account_id, 10, reason="이벤트", key="uow:2", now=NOW)
        db.session.rollback()           # nothing left to roll back: the outer block committed both
        assert entries(c.account_id) == 2 and ledger.balance(c.account_id).total == 1010


def test_after_commit_runs_once_when_the_outermost_block_commits(app):
    ran = []
    with app.app_context():
        with uow.transaction():
            with uow.transaction():
                uow.after_commit(lambda: ran.append("inner"))
                uow.after_commit(lambda: ran.append("keyed"), key="k")
                uow.after_rollback(lambda: ran.append("rolled back"))
            assert ran == []                       # the inner block ending commits nothing
            uow.after_commit(lambda: ran.append("keyed again"), key="k")
        assert ran == ["inner", "keyed again"]
        with uow.transaction():
            pass
        assert ran == ["inner", "keyed again"]     # hooks belong to one use case


def test_after_rollback_runs_once_when_the_use_case_fails_and_a_failing_hook_stops_no_other(app):
    ran = []
    with app.app_context():
        with pytest.raises(Boom):
            with uow.transaction():
                uow.after_rollback(lambda: 1 / 0)
                uow.after_rollback(lambda: ran.append("second"))
                uow.after_commit(lambda: ran.append("committed"))
                raise Boom()
        assert ran == ["second"]
        with pytest.raises(RuntimeError, match="need an open transaction"):
            uow.after_commit(lambda: None)


def test_a_stored_file_goes_with_a_failed_use_case_and_a_deleted_one_only_after_commit(app):
    with app.app_context():
        with pytest.raises(Boom):
            with uow.transaction():
                failed = files.store(account_id=None, kind="export", filename="a.txt", data=b"x",
                                     checked=CheckedFile("text/plain", "txt"), now=NOW)
                path = files.path_of(failed)
                assert path.is_file()
                raise Boom()
        assert not path.exists() and db.session.scalar(select(func.count(StoredFile.id))) == 0
        with uow.transaction():
            kept = files.store(account_id=None, kind="export", filename="b.txt", data=b"y",
                               checked=CheckedFile("text/plain", "txt"), now=NOW)
        path = files.path_of(kept)
        with pytest.raises(Boom):
            with uow.transaction():
                files.delete([db.session.get(StoredFile, kept.id)])
                raise Boom()
        assert path.is_file()                       # the delete rolled back: the bytes stay
        with uow.transaction():
            files.delete([db.session.get(StoredFile, kept.id)])
            assert path.is_file()                   # not before the commit
        assert not path.exists() and db.session.scalar(select(func.count(StoredFile.id))) == 0


def test_first_or_make_returns_what_a_racing_transaction_committed_first(app):
    """A ledger movement whose key another request committed between our look-up and our
    insert: the unique key refuses ours, and theirs is the answer."""
    c = make_customer(app)
    looks = []

    def find():
        found = ledger.find_entry("race")
        looks.append(found)
        if len(looks) == 1:                          # the racing request commits right after our look-up
            db.session.commit()
            with db.engine.begin() as other:
                other.execute(LedgerEntry.__table__.insert().values(
                    account_id=c.account_id, kind="point_grant", cash_delta=0, points_delta=5, cash_after=0,
                    points_after=5, idempotency_key="race", created_at=NOW))
        return found

    def make():
        db.session.add(LedgerEntry(account_id=c.account_id, kind="point_grant", cash_delta=0, points_delta=5,
                                   cash_after=0, points_after=5, idempotency_key="race", created_at=NOW))
        db.session.flush()
        return "ours"

    with app.app_context():
        found = uow.first_or_make(find, make)
        assert looks[0] is None and isinstance(found, LedgerEntry) and found.points_delta == 5
        assert entries(c.account_id) == 1
