"""The fallback layer of a send (../shared/design/send-pipeline.md "Kakao with fallback",
06-kakao.md KAT-07): messages created in place of failed messages of the send's own
layer, `pending` for the same dispatch loop. The capability that decides which messages
get one (app/services/kakao/alimtalk_sends.py) calls `add` from its step in the
transaction that failed them; this module keeps the send's counters and the rollups of
the layer, and a fallback that may not go (an ad at night) ends through
`outcomes.finalize` like every final outcome."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import NamedTuple

from sqlalchemy import update

from app import bulk
from app.domain.results import FAILED
from app.extensions import db
from app.models import Send
from app.services.sending.outcomes import Outcome, SendFacts, finalize
from app.services.sending.rollups import Deltas

COLUMNS = ("send_id", "account_id", "parent_id", "layer", "msg_type", "recipient", "name", "vars", "state",
           "content_hash", "charge")


class Replacement(NamedTuple):
    parent_id: int                 # the failed message of the send's own layer
    send_id: int
    at: dt.datetime
    refused: tuple[str, str] | None = None    # (code, category): created failed at once, free


def add(replacements: list[Replacement], facts: dict[int, SendFacts]) -> int:
    """Each replacement's fallback message, to the parent's recipient with its values, in
    the caller's transaction; returns how many. Call it once per parent (from the step
    that sees the parent fail: a message fails once)."""
    if not replacements:
        return 0
    conn = db.session.connection()
    parents = {row[0]: row[1:] for row in bulk.rows_in(
        conn, "SELECT id, recipient, name, vars, content_hash FROM message WHERE id IN ({keys})",
        sorted(r.parent_id for r in replacements))}
    rows = []
    for r in replacements:
        recipient, name, values, digest = parents[r.parent_id]
        f = facts[r.send_id]
        rows.append((r.send_id, f.account_id, r.parent_id, "fallback", f.fallback_msg_type, recipient, name, values,
                     "pending", digest, 0))
    bulk.insert(conn, "message", COLUMNS, rows)
    deltas = Deltas()
    table = Send.__table__
    for send_id, created in sorted(Counter(r.send_id for r in replacements).items()):   # in id order: no deadlock
        db.session.execute(update(table).where(table.c.id == send_id)
                           .values(fallback_count=table.c.fallback_count + created))
        f = facts[send_id]
        deltas.add(account_id=f.account_id, day=f.day, msg_type=f.fallback_msg_type, source=f.source,
                   requested=created)
    deltas.flush()
    refused = {r.parent_id: r for r in replacements if r.refused}
    if refused:
        ids = dict(bulk.rows_in(conn, "SELECT parent_id, id FROM message WHERE layer = 'fallback' "
                                      "AND parent_id IN ({keys})", sorted(refused)))
        finalize([Outcome(ids[parent_id], r.send_id, FAILED, r.refused[0], r.refused[1], r.at, 0)
                  for parent_id, r in refused.items()], facts, from_states=("pending",))
    return len(rows)


# --- the invariant of the layer (REL-05, ledger-check) ----------------------------------------------------------

def violations(limit: int) -> list[str]:
    """For every settled send with a fallback layer: each fallback replaces one failed Kakao
    message of its send, at most one per message (created once, KAT-07a); the fallback
    layer's counters are its rows; its charges are its delivered rows × the fallback price
    (KRS-04)."""
    problems: list[str] = []
    if limit <= 0:
        return problems
    conn = db.session.connection()
    for parent_id, count in conn.exec_driver_sql(
            "SELECT parent_id, COUNT(*) FROM message WHERE layer = 'fallback' GROUP BY parent_id HAVING COUNT(*) > 1 "
            f"LIMIT {int(limit)}"):
        problems.append(f"Kakao message {parent_id} has {count} fallbacks")
    for child, parent_state in conn.exec_driver_sql(
            "SELECT f.id, p.state FROM message f LEFT JOIN message p ON p.id = f.parent_id "
            f"WHERE f.layer = 'fallback' AND (p.id IS NULL OR p.state <> 'failed' OR p.send_id <> f.send_id) "
            f"LIMIT {int(limit)}"):
        problems.append(f"fallback {child} replaces a message that did not fail ({parent_state})")
    rows = conn.exec_driver_sql(
        "SELECT s.id, s.fallback_count, s.fallback_delivered_count, s.fallback_failed_count, s.fallback_unit_price, "
        "COUNT(m.id), SUM(CASE WHEN m.state = 'delivered' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.state = 'failed' THEN 1 ELSE 0 END), COALESCE(SUM(m.charge), 0) "
        "FROM send s LEFT JOIN message m ON m.send_id = s.id AND m.layer = 'fallback' "
        "WHERE s.status = 'completed' AND s.fallback_unit_price IS NOT NULL "
        "GROUP BY s.id, s.fallback_count, s.fallback_delivered_count, s.fallback_failed_count, s.fallback_unit_price "
        "ORDER BY s.id")
    for send_id, count, delivered, failed, price, rows_n, rows_delivered, rows_failed, charged in rows:
        if (count, delivered, failed) != (rows_n, int(rows_delivered or 0), int(rows_failed or 0)):
            problems.append(f"send {send_id}: fallback counters {count}/{delivered}/{failed} ≠ its rows "
                            f"{rows_n}/{rows_delivered or 0}/{rows_failed or 0}")
        elif int(charged) != int(rows_delivered or 0) * int(price):
            problems.append(f"send {send_id}: fallback charges {charged} ≠ {rows_delivered} × {price}")
        if len(problems) >= limit:
            break
    return problems[:limit]
