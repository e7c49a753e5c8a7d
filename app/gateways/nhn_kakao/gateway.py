"""The Kakao dealer adapter: NHN Cloud's KakaoTalk Bizmessage API (GATEWAY_KAKAO=nhn,
10-gateway.md GW-01; what the guide says, with its lines: docs/research/nhn-bizmessage.md).

Sending (`submit`). A batch is split into requests of at most 1,000 recipients that share
what NHN's request shares: AlimTalk by sender key and template (raw-messages, the rendered
text per recipient), a Brand Message by its whole content (freestyle-messages). Each request
gets a fresh key — its `senderGroupingKey`, and for AlimTalk also its
`X-NC-API-IDEMPOTENCY-KEY` — written to `kakao_dealer_request` before the call; each
recipient's `recipientGroupingKey` is megabird's message id. Then:
- an answer settles it: accepted recipients are kept (`kakao_dealer_message`: requestId and
  recipientSeq), refused ones come back refused with a code of our table (`NHN-…`);
- the dealer not reached (no connection): sent again after a pause, `NHN_KAKAO_RETRIES`
  times, then `DealerUnavailable` (dispatch leaves the batch claimed; the tick's recovery
  asks `lookup` and sends again what the dealer does not have);
- 429: sent again after Retry-After;
- an unclear end (a timeout after writing, the connection dropped, a 5xx, -1005 "the same
  idempotency key", -9999): **looked up before anything is sent again** — NHN's list query by
  the request's senderGroupingKey. Whatever it shows is sent; an AlimTalk request whose
  recipients it does not show goes once more under the *same* idempotency key (a first
  request that did get through makes it -1005: the request stays `unclear`); a Brand
  Message, which has no such key, is never sent again from here. What stays unclear raises
  `DealerUnclear`: the batch is left to recovery, whose `lookup` asks the dealer again later.
So a message is sent twice only if NHN accepted it and then, minutes later, still did not
show it in its own query — the one gap the guide leaves open.

Results (`poll_reports`): each accepted request is read back (`GET …/messages?requestId=`,
1,000 a page) until every recipient has a final code, sooner at first, then every few
minutes; the result webhook (`app/api/hooks.py`) fills the same rows sooner. `3005` (Kakao:
"success uncertain, may still arrive within 3 days") is not final; a message with no final
result times out after 49 hours as every other (RES-01), free.

Templates (`submit_template`, `template_status`): registering a template *is* NHN's review
request; its review state (TSC01–04) is mapped into KAT-03's. Channels: `verify_channel_admin`
registers the sender profile, which makes Kakao send a token to the admin's KakaoTalk, and
`confirm_channel_token` hands the token back for the sender key."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import time
import uuid
from collections import defaultdict

from sqlalchemy import select, update

from app import bulk, clock
from app.domain.korean import josa
from app.domain.results import TEMPLATE_CODE
from app.errors import UpstreamUnavailable
from app.extensions import db
from app.gateways.base import Gateway, OutboundMessage, Receipt, Report, TemplateStatus
from app.gateways.nhn_kakao import bodies
from app.gateways.nhn_kakao.client import (IDEMPOTENCY_HEADER, PRODUCTION_URL, Client, DealerError, Envelope,
                                           MaybeSent, NotSent, Throttled)
from app.models.gateway import KakaoDealerMessage, KakaoDealerRequest

log = logging.getLogger(__name__)

KST = dt.timezone(dt.timedelta(hours=9))
REQUESTS = KakaoDealerRequest.__table__
MESSAGES = KakaoDealerMessage.__table__
LEASE = dt.timedelta(minutes=2)
POLL_MAX = dt.timedelta(minutes=10)
GIVE_UP_AFTER = dt.timedelta(days=3)        # 3005 "may still arrive within 3 days"
SETTLE = dt.timedelta(minutes=10)           # an unclear request not shown by then is absent (= the key's window)
NOT_FINAL = {None, "", "3005"}
#: NHN's API refusals (header or per recipient, error-code.md) as codes of megabird's table
#: (app/domain/results.py): the category they are counted in and whether a fallback goes
REFUSALS = {-4019: "NHN-4019", -5000: "NHN-4019", -3003: "NHN-3003", -3005: TEMPLATE_CODE, -3010: "NHN-3010",
            -3004: "NHN-3004", -3011: "NHN-3010", -2017: "NHN-2017", -1027: "NHN-2017", -2019: "NHN-2019",
            -4029: "NHN-4029"}
UNCLEAR = {-1005, -9999}
THROTTLE_TRIES = 5
IMAGE_REFUSED = "NHN-IMAGE"
#: answers that say nothing about the request itself: our keys or NHN's trouble (-1000/-1001 app
#: or secret key, -9996 not JSON, -9998 no such API, -7000 Kakao's API failed) — nothing was
#: sent, and no customer's message is failed for it: the batch waits and goes again
NOT_THE_REQUEST = {-1000, -1001, -9996, -9998, -7000}
#: NHN's review states (TSC01–04, AT:2256) -> KAT-03
REVIEW_STATES = {"TSC01": "requested", "TSC02": "in_review", "TSC03": "approved", "TSC04": "rejected"}


class DealerUnavailable(UpstreamUnavailable):
    """The dealer could not be reached or could not take the request: nothing of it was sent
    (tried again later). A page that meets it says so in Korean (503)."""

    def __init__(self, detail: str):
        super().__init__("카카오 발송 대행사(NHN Cloud)에 지금 연결할 수 없습니다. 잠시 후 다시 시도해주세요.")
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class DealerUnclear(RuntimeError):
    """Some messages may have reached the dealer and it does not show them yet: the batch is
    left to recovery, which asks again (`lookup`) before anything is sent again."""


class DealerRefused(RuntimeError):
    def __init__(self, code: int, message: str):
        super().__init__(f"the Kakao dealer refused: {code} {message}")
        self.code = code


@functools.lru_cache(maxsize=4096)     # a page of results repeats a few receive dates
def parse_time(text: str | None) -> dt.datetime | None:
    """NHN's `yyyy-MM-dd HH:mm[:ss]` (KST; the guide never names the zone) as naive UTC."""
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text[:19], fmt).replace(tzinfo=KST).astimezone(dt.timezone.utc).replace(
                tzinfo=None)
        except ValueError:
            continue
    return None


def minute(at: dt.datetime) -> str:
    """A naive-UTC time as NHN's query minute (KST)."""
    return at.replace(tzinfo=dt.timezone.utc).astimezone(KST).strftime("%Y-%m-%d %H:%M")


def _refused_reason(what: str, code: int) -> str:
    """The reason a customer reads for a registration NHN refused (NHN's own text is English)."""
    return (f"카카오 검수 요청이 거절되었습니다: {josa(what, '이/가')} 카카오 알림톡 규칙에 맞지 않습니다. "
            f"내용을 고쳐 다시 요청해주세요. (NHN 오류 코드 {code})")


def _skip_locked(pick):
    """Two pollers at once on PostgreSQL take different rows (READ COMMITTED would not check
    the subquery's condition again); SQLite has one writer at a time anyway."""
    return pick.with_for_update(skip_locked=True) if db.engine.dialect.name == "postgresql" else pick


def _where(request_id: str, seq: int) -> str:
    """A message's place at NHN as the receipt's gateway_ref."""
    return f"{request_id}:{seq}"


def refusal_code(code: int) -> str:
    return REFUSALS.get(code, f"NHN{code}")


class NhnKakaoGateway(Gateway):
    name = "nhn"
    deduplicates = True             # look-up before resending (see the module's docstring)
    reviews_templates_by_operators = False
    channel_token_by_kakao = True

    def __init__(self, *, base_url: str = PRODUCTION_URL, appkey: str, secret: str, throughput_limit: int = 0,
                 timeout: float = 10.0, retries: int = 3, retry_pause: float = 1.0, poll_seconds: float = 5.0,
                 sender_category: str = "", sender_keys: dict[str, str] | None = None, sleep=time.sleep):
        self.client = Client(base_url, appkey, secret, timeout=timeout)
        self.throughput_limit = throughput_limit
        self.retries, self.retry_pause, self.sleep = retries, retry_pause, sleep
        self.poll_every = dt.timedelta(seconds=poll_seconds)
        self.sender_category = sender_category
        self.sender_keys = sender_keys or {}
        self._images: dict[tuple[bytes, bool], str] = {}

    # --- sending ------------------------------------------------------------------------------------

    def submit(self, messages: list[OutboundMessage], now: dt.datetime) -> list[Receipt]:
        groups: dict[tuple, list[OutboundMessage]] = defaultdict(list)
        for m in messages:
            groups[bodies.alimtalk_group(m) if m.channel == "alimtalk" else bodies.brand_group(m)].append(m)
        receipts: list[Receipt] = []
        unclear = 0
        for key, group in groups.items():
            for start in range(0, len(group), bodies.MAX_RECIPIENTS):
                part = group[start:start + bodies.MAX_RECIPIENTS]
                done, left = self._send(key[0], part, now)
                receipts += done
                unclear += left
        if unclear:
            raise DealerUnclear(f"{unclear} Kakao messages may have reached the dealer, which does not show them "
                                f"yet: left to recovery")
        return receipts

    def _request(self, kind: str, part: list[OutboundMessage], group_key: str) -> tuple[str, dict, dict]:
        if kind == "alimtalk":
            code = (part[0].kakao or {}).get("template_code")
            return (self.client.alimtalk("/raw-messages"),
                    bodies.alimtalk_request(part[0].sender, code, part, group_key), {IDEMPOTENCY_HEADER: group_key})
        image = self._image_url(part[0]) if part[0].images else None
        return self.client.brand("/freestyle-messages"), bodies.brand_request(part[0], part, group_key, image), {}

    def _send(self, kind: str, part: list[OutboundMessage], now: dt.datetime) -> tuple[list[Receipt], int]:
        """One request: (receipts, how many stayed unclear)."""
        group_key = "mb" + uuid.uuid4().hex
        try:
            path, body, headers = self._request(kind, part, group_key)
        except DealerRefused as error:          # its image: NHN will not take it
            log.info("Kakao dealer refused the image of a Brand Message: %s", error)
            return [Receipt(m.ref, False, None, IMAGE_REFUSED) for m in part], 0
        refs = [int(m.ref) for m in part if m.ref.isdigit()]
        with db.engine.begin() as conn:          # the record that it may leave, before it does
            conn.execute(REQUESTS.insert().values(
                group_key=group_key, kind=kind, sender_key=part[0].sender, size=len(part), state="sending",
                attempted_at=clock.now(), polls=0, first_ref=min(refs, default=None), last_ref=max(refs, default=None)))
        try:
            answer = self._post(path, body, headers)
        except MaybeSent as error:
            log.warning("Kakao dealer: request %s unclear (%s): looking it up", group_key, error)
            answer = None
        except DealerUnavailable:
            self._set_state(group_key, "absent")        # it never reached the dealer
            raise
        if answer is not None and answer.code in NOT_THE_REQUEST:
            self._set_state(group_key, "absent")
            raise DealerUnavailable(f"the Kakao dealer did not take request {group_key}: {answer.code} "
                                    f"{answer.message}")
        if answer is not None and answer.code not in UNCLEAR:
            return self._answered(group_key, kind, part, answer, now), 0
        # unclear: what does the dealer show of this request?
        found = self._look_up(group_key, kind, now)
        if found is None:
            self._set_state(group_key, "unclear")
            return [], len(part)
        if not found and kind == "alimtalk" and (answer is None or answer.code != -1005):
            # nothing of it shown: once more under the same idempotency key (refused, -1005,
            # if the first request did get through after all)
            try:
                again = self._post(path, body, headers)
            except MaybeSent:
                again = None
            if again is not None and again.code not in UNCLEAR | NOT_THE_REQUEST:
                return self._answered(group_key, kind, part, again, now), 0
        # a request is taken whole or not at all: what is not shown yet is left unclear, for
        # recovery to ask again; never sent again from here
        missing = [m for m in part if m.ref not in found]
        self._found(group_key, found, now, complete=not missing)
        return [Receipt(m.ref, True, _where(*found[m.ref])) for m in part if m.ref in found], len(missing)

    def _found(self, group_key: str, found: dict[str, tuple[str, int]], now: dt.datetime, *, complete: bool) -> None:
        """A looked-up request: `accepted` (its results read back from now) when all of it is
        shown; otherwise `unclear` still (with its requestId once part of it shows)."""
        values = {"state": "accepted" if complete else "unclear"}
        if found:
            values.update(request_id=next(iter(found.values()))[0], poll_after=now)
        self._set_state(group_key, **values)

    def _post(self, path: str, body: dict, headers: dict) -> Envelope:
        """POST, sent again while the dealer is not reached (or throttles: a 429 is taken as not
        processed, HTTP's meaning; the guide is silent); MaybeSent passes."""
        attempt = throttled = 0
        while True:
            try:
                return self.client.call("POST", path, body=body, headers=headers)
            except Throttled as error:
                throttled += 1
                if throttled > THROTTLE_TRIES:
                    raise DealerUnavailable(f"the Kakao dealer kept throttling: {error}") from error
                self.sleep(min(error.retry_after, 10.0))
            except NotSent as error:
                attempt += 1
                if attempt > self.retries:
                    raise DealerUnavailable(f"the Kakao dealer cannot be reached: {error}") from error
                self.sleep(self.retry_pause * attempt)

    def _answered(self, group_key: str, kind: str, part: list[OutboundMessage], answer: Envelope,
                  now: dt.datetime) -> list[Receipt]:
        message = answer.body.get("message") or {}
        request_id = message.get("requestId")
        results = {r.get("recipientSeq"): r for r in message.get("sendResults") or ()}
        receipts, kept = [], []
        for seq, m in enumerate(part, start=1):
            result = results.get(seq)
            code = int(result.get("resultCode", answer.code)) if result else answer.code
            if answer.code in (0, -1031) and code == 0 and request_id:
                receipts.append(Receipt(m.ref, True, _where(request_id, seq)))
                kept.append((m.ref, request_id, seq))
            else:
                receipts.append(Receipt(m.ref, False, None, refusal_code(code or answer.code or -9999)))
        with db.engine.begin() as conn:
            self._keep(conn, kept)
            conn.execute(update(REQUESTS).where(REQUESTS.c.group_key == group_key).values(
                state="accepted" if kept else "refused", request_id=request_id, poll_after=now))
        if not kept:
            log.info("Kakao dealer refused request %s: %s %s", group_key, answer.code, answer.message)
        return receipts

    @staticmethod
    def _keep(conn, rows: list[tuple[str, str, int]]) -> None:
        bulk.upsert_counting(conn, "kakao_dealer_message",
                             {"ref": "varchar(64)", "request_id": "varchar(64)", "recipient_seq": "integer"},
                             rows, conflict="ref", on_conflict="ref = excluded.ref")

    def _set_state(self, group_key: str, state: str, **values) -> None:
        with db.engine.begin() as conn:
            conn.execute(update(REQUESTS).where(REQUESTS.c.group_key == group_key).values(state=state, **values))

    def _look_up(self, group_key: str, kind: str, now: dt.datetime,
                 attempted: dt.datetime | None = None) -> dict[str, tuple[str, int]] | None:
        """{ref: (requestId, recipientSeq)} of what the dealer shows of a request (and kept),
        or None when it cannot be asked now."""
        attempted = attempted or now
        path = self.client.alimtalk("/messages") if kind == "alimtalk" else self.client.brand("/messages")
        query = {"senderGroupingKey": group_key, "startRequestDate": minute(attempted - dt.timedelta(minutes=1)),
                 "endRequestDate": minute(max(now, attempted) + dt.timedelta(minutes=2)), "pageSize": 1000}
        if kind == "alimtalk":
            query.update(startCreateDate=query.pop("startRequestDate"), endCreateDate=query.pop("endRequestDate"))
        found: dict[str, tuple[str, int]] = {}
        try:
            for row in self._pages(path, query):
                if row.get("recipientGroupingKey") and row.get("requestId") and row.get("recipientSeq"):
                    found[str(row["recipientGroupingKey"])] = (str(row["requestId"]), int(row["recipientSeq"]))
        except DealerError as error:
            log.warning("Kakao dealer: looking up %s failed (%s)", group_key, error)
            return None
        if found:
            with db.engine.begin() as conn:
                self._keep(conn, [(ref, request_id, seq) for ref, (request_id, seq) in found.items()])
        return found

    def _pages(self, path: str, query: dict):
        page = 1
        while True:
            answer = self.client.call("GET", path, query={**query, "pageNum": page})
            if not answer.ok:
                raise MaybeSent(f"{answer.code} {answer.message}")
            result = answer.body.get("messageSearchResultResponse") or {}
            rows = result.get("messages") or []
            yield from rows
            if len(rows) < int(query.get("pageSize") or 1000) or page * len(rows) >= int(result.get("totalCount") or 0):
                return
            page += 1

    def lookup(self, refs: list[str], now: dt.datetime | None = None) -> set[str]:
        """Which refs the dealer has: those it accepted, and those its query shows of a request
        of these refs whose end was unclear (asked again now). Raises — the batch then waits
        for a later tick — when the dealer cannot be asked, or when such a request is not
        (wholly) shown yet and is younger than SETTLE: too soon to say it never came."""
        now = now or clock.now()
        numbers = [int(r) for r in refs if r.isdigit()]
        if numbers:
            low, high = min(numbers), max(numbers)
            with db.engine.connect() as conn:
                pending = conn.execute(select(REQUESTS.c.group_key, REQUESTS.c.kind, REQUESTS.c.attempted_at,
                                              REQUESTS.c.size).where(
                    REQUESTS.c.state.in_(("sending", "unclear")), REQUESTS.c.attempted_at > now - GIVE_UP_AFTER,
                    REQUESTS.c.first_ref <= high, REQUESTS.c.last_ref >= low)).all()
            too_early = 0
            for group_key, kind, attempted, size in pending:
                found = self._look_up(group_key, kind, now, attempted)
                if found is None:
                    raise DealerUnavailable("the Kakao dealer cannot be asked what it received; recovery waits")
                settled = attempted < now - SETTLE
                if not found and settled:
                    self._set_state(group_key, "absent")
                elif len(found) >= size or settled:
                    self._found(group_key, found, now, complete=True)
                else:
                    self._found(group_key, found, now, complete=False)
                    too_early += 1
            if too_early:
                # not (wholly) shown yet, and too soon to say it never came: ask at a later tick
                raise DealerUnclear(f"{too_early} Kakao dealer requests are not shown yet; recovery waits")
        known: set[str] = set()
        with db.engine.connect() as conn:
            for start in range(0, len(refs), bulk.IN_LIST):
                known.update(conn.scalars(select(MESSAGES.c.ref).where(
                    MESSAGES.c.ref.in_(refs[start:start + bulk.IN_LIST]))))
        return known

    # --- results ------------------------------------------------------------------------------------

    def _due(self, now: dt.datetime):
        m = MESSAGES.c
        return (m.code.is_not(None)) & (m.acked_at.is_(None)) & (m.lease_until.is_(None) | (m.lease_until <= now))

    def _to_poll(self, now: dt.datetime):
        r = REQUESTS.c
        return ((r.state == "accepted") & (r.poll_after <= now)
                & (r.lease_until.is_(None) | (r.lease_until <= now)))

    def has_reports(self, now: dt.datetime) -> bool:
        with db.engine.connect() as conn:
            return (conn.scalar(select(MESSAGES.c.id).where(self._due(now)).limit(1)) is not None
                    or conn.scalar(select(REQUESTS.c.id).where(self._to_poll(now)).limit(1)) is not None)

    def poll_reports(self, now: dt.datetime, limit: int) -> list[Report]:
        """What the dealer reported since, leased to this poller: first the results of the
        requests due to be read back (written already leased — one write a result, not two),
        then older ones whose lease ran out."""
        fresh = self._refresh(now, batch=max(1, limit // bodies.MAX_RECIPIENTS))
        reports = [Report(ref, code, min(at or now, now), str(row_id)) for row_id, ref, code, at in fresh]
        if len(reports) >= limit:
            return reports
        pick = _skip_locked(select(MESSAGES.c.id).where(self._due(now)).order_by(MESSAGES.c.id)
                            .limit(limit - len(reports))).scalar_subquery()
        with db.engine.begin() as conn:
            rows = conn.execute(update(MESSAGES).where(MESSAGES.c.id.in_(pick), self._due(now))
                                .values(lease_until=now + LEASE)
                                .returning(MESSAGES.c.id, MESSAGES.c.ref, MESSAGES.c.code,
                                           MESSAGES.c.reported_at)).all()
        return reports + [Report(ref, code, min(at or now, now), str(row_id)) for row_id, ref, code, at in rows]

    def ack_reports(self, reports: list[Report], now: dt.datetime) -> None:
        ids = [int(r.report_id) for r in reports if r.report_id]
        with db.engine.begin() as conn:
            for start in range(0, len(ids), bulk.IN_LIST):
                conn.execute(update(MESSAGES).where(MESSAGES.c.id.in_(ids[start:start + bulk.IN_LIST]))
                             .values(acked_at=now))

    def _refresh(self, now: dt.datetime, *, batch: int = 5) -> list[tuple]:
        """Read back the accepted requests due for it (leased, so that two report jobs do not
        both ask), and record the final results they show, leased to this poller: returns
        them (id, ref, code, reported_at)."""
        r = REQUESTS.c
        pick = _skip_locked(select(r.id).where(self._to_poll(now)).order_by(r.poll_after).limit(batch)).scalar_subquery()
        with db.engine.begin() as conn:
            due = conn.execute(update(REQUESTS).where(r.id.in_(pick), self._to_poll(now))
                               .values(lease_until=now + LEASE)
                               .returning(r.id, r.kind, r.request_id, r.polls, r.attempted_at)).all()
        results: dict[str, list[tuple]] = {}
        for row_id, kind, request_id, polls, attempted in due:
            path = self.client.alimtalk("/messages") if kind == "alimtalk" else self.client.brand("/messages")
            try:
                results[request_id] = [(row.get("recipientSeq"), row.get("resultCode"), row.get("receiveDate"))
                                       for row in self._pages(path, {"requestId": request_id, "pageSize": 1000})]
            except DealerError as error:
                log.warning("Kakao dealer: reading request %s failed (%s); later", request_id, error)
        still_open, recorded = self.record_results(results, lease_until=now + LEASE)
        finished, later = [], []
        for row_id, _kind, request_id, polls, attempted in due:
            if request_id in results and (not still_open.get(request_id) or attempted < now - GIVE_UP_AFTER):
                finished.append(row_id)
            else:
                later.append((row_id, polls))
        with db.engine.begin() as conn:
            if finished:
                conn.execute(update(REQUESTS).where(r.id.in_(finished)).values(state="done", lease_until=None))
            for row_id, polls in later:
                wait = min(self.poll_every * (2 ** min(polls, 8)), POLL_MAX)
                conn.execute(update(REQUESTS).where(r.id == row_id).values(polls=polls + 1, poll_after=now + wait,
                                                                           lease_until=None))
        return recorded

    @staticmethod
    def record_results(results: dict[str, list[tuple]], *, lease_until: dt.datetime | None = None
                       ) -> tuple[dict[str, int], list[tuple]]:
        """Final results {requestId: [(recipientSeq, resultCode, receiveDate)]} onto the
        messages not yet reported, in one write (leased until `lease_until` to the caller, who
        reports them). Returns how many of each request's messages are still open, and the
        rows written (id, ref, code, reported_at)."""
        if not results:
            return {}, []
        with db.engine.begin() as conn:
            waiting: dict[tuple[str, int], tuple[int, str]] = {}
            for request_id, seq, row_id, ref in bulk.rows_in(
                    conn, "SELECT request_id, recipient_seq, id, ref FROM kakao_dealer_message "
                          "WHERE request_id IN ({keys}) AND code IS NULL", list(results)):
                waiting[request_id, seq] = (row_id, ref)
            stamp = bulk.time_binder(conn)
            open_count: dict[str, int] = defaultdict(int)
            for request_id, _seq in waiting:
                open_count[request_id] += 1
            rows, recorded = [], []
            lease = stamp(lease_until)
            for request_id, found in results.items():
                for seq, code, at in found:
                    known = waiting.get((request_id, seq))
                    code = None if code is None else str(code)
                    if known is not None and code not in NOT_FINAL:
                        reported = parse_time(at) or clock.now()
                        rows.append((known[0], code, stamp(reported), lease))
                        recorded.append((known[0], known[1], code, reported))
                        open_count[request_id] -= 1
            bulk.update(conn, "kakao_dealer_message", "id",
                        {"code": "varchar(16)", "reported_at": "timestamp", "lease_until": "timestamp"}, rows)
        return dict(open_count), recorded

    @staticmethod
    def record_hook(ref: str, code, at: str | None) -> bool:
        """A result the dealer's webhook pushed (by recipientGroupingKey); False when the
        message is not one the adapter kept, or the code is not final."""
        code = None if code is None else str(code)
        if code in NOT_FINAL or not ref:
            return False
        with db.engine.begin() as conn:
            done = conn.execute(update(MESSAGES).where(MESSAGES.c.ref == str(ref), MESSAGES.c.code.is_(None))
                                .values(code=str(code), reported_at=parse_time(at) or clock.now()))
        return bool(done.rowcount)

    # --- Brand Message images -------------------------------------------------------------------------

    def _image_url(self, message: OutboundMessage) -> str:
        data = message.images[0]
        wide = bool((message.kakao or {}).get("wide"))
        digest = (hashlib.sha1(data).digest(), wide)
        if digest not in self._images:
            kind = "jpg" if data[:3] == b"\xff\xd8\xff" else "png"
            answer = self._checked(self._known(self._call_known(
                "POST", self.client.brand("/images"), body={"imageType": "WIDE_IMAGE" if wide else "IMAGE"},
                files={"image": (f"image.{kind}", data, f"image/{'jpeg' if kind == 'jpg' else 'png'}")})))
            url = (answer.body.get("image") or {}).get("imageUrl")
            if not url:
                raise DealerRefused(answer.code, "no imageUrl in the answer")
            self._images[digest] = url
        return self._images[digest]

    @staticmethod
    def _checked(answer: Envelope) -> Envelope:
        if not answer.ok:
            raise DealerRefused(answer.code, answer.message)
        return answer

    # --- AlimTalk templates (KAT-03) ----------------------------------------------------------------

    def submit_template(self, template) -> TemplateStatus | None:
        """Register the template at NHN, which is its review request. The same code again is
        the same request: an existing template is left as it is, unless Kakao rejected it
        (TSC04), in which case it is modified — reviewed again. A registration NHN refuses
        comes back `rejected` with NHN's reason."""
        sender_key = template.sender_key
        image = None
        if template.image is not None:
            answer = self._known(self._call_known("POST", self.client.alimtalk("/template-image"), body={},
                                                  files={"file": ("template.png", template.image, "image/png")}))
            if not answer.ok:
                return TemplateStatus("rejected", None, _refused_reason("강조 이미지", answer.code))
            image = answer.body.get("templateImage") or {}
        body = bodies.template_body(template, image=image)
        path = self.client.alimtalk(f"/senders/{sender_key}/templates")
        answer = self._known(self._call_known("POST", path, body))
        if answer.code == -3001:
            current = self._template(sender_key, template.code)
            if current is None:          # another template of the channel has this name
                return TemplateStatus("rejected", None, "카카오 검수 요청이 거절되었습니다: 이 채널에 같은 이름의 템플릿이 "
                                                        "이미 있습니다. 템플릿 제목을 바꿔 다시 요청해주세요. (NHN -3001)")
            if current.get("status") != "TSC04":
                return None
            answer = self._known(self._call_known("PUT", f"{path}/{template.code}",
                                                  {k: v for k, v in body.items() if k != "templateCode"}))
        if not answer.ok:
            # a registration NHN refuses (a field Kakao's rules do not allow): rejected, with its reason
            return TemplateStatus("rejected", None, _refused_reason("템플릿", answer.code))
        return None

    @staticmethod
    def _known(answer: Envelope, *, about_it: frozenset = frozenset()) -> Envelope:
        """An answer about the request itself; NHN's own trouble (or our keys) is not one
        (`about_it`: codes that, for this call, are about the request after all)."""
        if answer.code in (NOT_THE_REQUEST | {-9999}) - about_it:
            raise DealerUnavailable(f"the Kakao dealer could not take the request: {answer.code} {answer.message}")
        return answer

    def submit_comment(self, sender_key: str | None, code: str, comment: str) -> None:
        """NHN's 문의 on a rejected template (AT:2048): Kakao reviews it again (TSC04 → TSC02).
        A comment NHN refuses (the template is not in a state that takes one) is logged."""
        answer = self._known(self._call_known(
            "POST", self.client.alimtalk(f"/senders/{sender_key}/templates/{code}/comments"), {"comment": comment}))
        if not answer.ok:
            log.info("Kakao dealer refused the comment on template %s: %s %s", code, answer.code, answer.message)

    def _call_known(self, method: str, path: str, body: dict | None = None, **kw) -> Envelope:
        try:
            return self.client.call(method, path, body=body, **kw)
        except DealerError as error:
            raise DealerUnavailable(f"the Kakao dealer cannot be reached: {error}") from error

    def _template(self, sender_key: str, code: str) -> dict | None:
        answer = self._call_known("GET", self.client.alimtalk(f"/senders/{sender_key}/templates/{code}"))
        if not answer.ok:                # -3003: no such template
            return None
        return answer.body.get("templates") or answer.body.get("template")

    def template_status(self, code: str, *, account_id: int, sender_key: str | None = None) -> TemplateStatus | None:
        if not sender_key:
            return None
        try:
            current = self._template(sender_key, code)
        except DealerUnavailable:
            return None
        if current is None or current.get("status") not in REVIEW_STATES:
            return None
        status = REVIEW_STATES[current["status"]]
        comment = None
        if status == "rejected":
            rejections = [c for c in current.get("comments") or () if c.get("status") == "REJ"]
            if rejections:
                comment = (max(rejections, key=lambda c: c.get("createdAt") or c.get("createAt") or "")
                           .get("content") or None)
        return TemplateStatus(status, parse_time(current.get("updateDate")), comment)

    # --- channels (SND-07) ------------------------------------------------------------------------------

    def _sender(self, channel_id: str) -> dict | None:
        answer = self._call_known("GET", self.client.alimtalk("/senders"),
                                  query={"plusFriendId": channel_id, "pageSize": 10})
        if not answer.ok:
            return None
        found = (answer.body.get("senders") or [])
        return next((s for s in found if s.get("plusFriendId") == channel_id), None)

    def verify_channel_admin(self, channel_id: str, phone: str) -> bool:
        """Register the channel as a sender profile at NHN: Kakao then sends a token to the
        KakaoTalk of the channel's admin, which the customer types in (confirm_channel_token).
        False when NHN refuses the phone (not the admin's)."""
        # -7000 (Kakao's API refused): what a phone that is not the admin's gets (the guide
        # names no code for it; the local dealer plays it so)
        answer = self._known(self._call_known("POST", self.client.alimtalk("/senders"),
                                              {"plusFriendId": channel_id, "phoneNo": phone,
                                               "categoryCode": self.sender_category or "00100010001"}),
                             about_it=frozenset({-7000}))
        if not answer.ok:
            log.info("Kakao dealer refused the sender profile %s: %s %s", channel_id, answer.code, answer.message)
        return answer.ok

    def confirm_channel_token(self, channel_id: str, token: str) -> str | None:
        """The sender key for Kakao's token, or None when the token is wrong."""
        try:
            number = int(token)
        except (TypeError, ValueError):
            return None
        answer = self._known(self._call_known("POST", self.client.alimtalk("/sender/token"),
                                              {"plusFriendId": channel_id, "token": number}))
        if not answer.ok:
            return None
        return (answer.body.get("sender") or {}).get("senderKey")

    def configured_sender_key(self, channel_id: str) -> str | None:
        """The sender key configured for a channel (NHN_KAKAO_SENDER_KEYS), if any."""
        return self.sender_keys.get(channel_id)

    def channel_sender_key(self, channel_id: str) -> str:
        if channel_id in self.sender_keys:
            return self.sender_keys[channel_id]
        sender = self._sender(channel_id)
        if sender is None or not sender.get("senderKey"):
            raise DealerRefused(-2017, f"NHN has no sender profile for {channel_id}")
        return sender["senderKey"]

    def channel_problem(self, sender_key: str) -> str | None:
        """Why the sender profile cannot send now (blocked, dormant, deleted), or None."""
        try:
            answer = self.client.call("GET", self.client.alimtalk(f"/senders/{sender_key}"))
        except DealerError:
            return None                  # not known now: the send itself will tell
        sender = answer.body.get("sender") or {}
        if answer.code == -2017:
            return "deleted"
        if sender.get("block") or sender.get("kakaoProfileStatus") in ("B", "D", "E"):
            return "blocked"
        if sender.get("dormant"):
            return "dormant"
        return None


def config_problems(config, *, production: bool) -> list[str]:
    """What the NHN adapter cannot run without (production mode refuses to start; `flask
    megabird check-config` prints them in any mode; the https rule is production's)."""
    if str(config.get("GATEWAY_KAKAO") or "").strip().lower() != "nhn":
        return []
    found = [f"{setting}: GATEWAY_KAKAO=nhn인데 비어 있습니다 (NHN Cloud 콘솔의 {what})."
             for setting, what in (("NHN_KAKAO_APPKEY", "Appkey"), ("NHN_KAKAO_SECRET", "SecretKey"))
             if not str(config.get(setting) or "").strip()]
    url = str(config.get("NHN_KAKAO_URL") or PRODUCTION_URL)
    if not url.startswith("https://") and production:
        found.append(f"NHN_KAKAO_URL: 운영에서는 https 주소여야 합니다 ({url}).")
    return found


