"""충전 (WAL-03) and 환불 요청 (WAL-09): requests around the wallet. Money moves only
through app.services.wallet.ledger."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, select

from app.domain import text as rules
from app.errors import InvalidState, ValidationError
from app.extensions import db
from app.gateways.payments import get_payment_gateway
from app.models import CashRefundRequest, LedgerEntry, TopupRequest
from app.security.tenancy import get_owned
from app.services.accounts.accounts import get_account
from app.services.shared import reviews
from app.services.shared.uow import transaction
from app.services.wallet import ledger

MIN_TOPUP = 1_000
MAX_TOPUP = 10_000_000


def topup_amount(value) -> int:
    amount = ledger.amount_of(value, "충전 금액", minimum=MIN_TOPUP, maximum=MAX_TOPUP)
    if amount % 1_000:
        raise ValidationError("충전 금액은 1,000원 단위로 입력해주세요.", field="충전 금액", code="invalid_amount")
    return amount


def request_bank_transfer(*, account_id: int, amount, depositor_name, now: dt.datetime) -> TopupRequest:
    amount = topup_amount(amount)
    depositor = rules.required(depositor_name, "입금자명", max_length=30)
    with transaction():
        get_account(account_id)
        request = TopupRequest(account_id=account_id, method="bank_transfer", amount=amount,
                               depositor_name=depositor, status="requested", requested_at=now)
        db.session.add(request)
    return request


def pay_by_card(*, account_id: int, amount, customer: str, now: dt.datetime, actor=None) -> TopupRequest:
    """The sandbox PG approves at once; the cash is credited in the same transaction
    as the approved request. `actor`: the customer's user who paid (WAL-02's who)."""
    amount = topup_amount(amount)
    with transaction():
        get_account(account_id)
        gateway = get_payment_gateway()
        request = TopupRequest(account_id=account_id, method="card", amount=amount, status="requested",
                               requested_at=now, gateway=gateway.name)
        db.session.add(request)
        db.session.flush()
        result = gateway.charge(amount=amount, order_id=f"topup-{request.id}", customer=customer)
        if not result.approved:
            raise ValidationError(f"카드 결제가 승인되지 않았습니다: {result.message}", field="카드 결제",
                                  code="payment_declined")
        request.status = "approved"
        request.payment_ref = result.transaction_id
        request.reviewed_at = now
        ledger.topup(account_id, amount, key=f"topup:{request.id}", now=now, topup_id=request.id,
                     memo="카드 결제", actor=actor, funding="card")
    return request


def cancel_request(*, account_id: int, topup_id, now: dt.datetime) -> TopupRequest:
    """An unconfirmed bank-transfer request can be cancelled by its customer."""
    with transaction():
        request = get_owned(TopupRequest, topup_id, account_id, for_update=True)
        if request.status != "requested":
            raise InvalidState("입금 확인 전의 충전 요청만 취소할 수 있습니다.")
        request.status = "cancelled"
        request.cancelled_at = now
    return request


def decide_bank_transfer(topup_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None):
    """입금확인 by an operator: the cash is credited in the same transaction."""
    def credit(item: TopupRequest):
        ledger.topup(item.account_id, item.amount, key=f"topup:{item.id}", now=now, actor=actor,
                     topup_id=item.id, memo=f"무통장입금 확인 ({item.depositor_name})")

    with transaction():
        return reviews.decide(TopupRequest, topup_id, approve=approve, actor=actor, now=now, reason=reason,
                              object_type="topup_request", on_approve=credit)


def pending_topups(account_id: int) -> list[TopupRequest]:
    return list(db.session.scalars(select(TopupRequest).where(
        TopupRequest.account_id == account_id, TopupRequest.status == "requested")
        .order_by(TopupRequest.id.desc())))


def recent_topups(account_id: int, limit: int = 10) -> list[TopupRequest]:
    return list(db.session.scalars(select(TopupRequest).where(TopupRequest.account_id == account_id)
                                   .order_by(TopupRequest.id.desc()).limit(limit)))


def bank_account_info() -> str:
    return current_app.config.get("SERVICE_BANK_ACCOUNT", "")


# --- cash refunds (WAL-09) ------------------------------------------------------------------------

@dataclass(frozen=True)
class RefundableCash:
    """Where an account's cash came from, as the refund review shows it (issue 13): cash
    from the sandbox PG cost nothing and is never paid out. Sends are taken to have spent
    sandbox cash first, so whatever real money came in stays refundable, and no sandbox
    won can leave: refundable = cash − sandbox cash not yet spent."""
    cash: int
    bank_transfer: int        # confirmed 무통장입금 top-ups, all time
    card: int                 # card top-ups through a real PG
    sandbox: int              # card top-ups through the sandbox PG
    spent_on_sends: int       # cash held by sends and not given back
    refunded: int             # cash already paid out

    @property
    def sandbox_unspent(self) -> int:
        return max(0, self.sandbox - self.spent_on_sends)

    @property
    def refundable(self) -> int:
        return max(0, self.cash - self.sandbox_unspent)


def refundable_cash(account_id: int) -> RefundableCash:
    account = get_account(account_id)
    source = case((TopupRequest.method == "bank_transfer", "bank_transfer"),
                  (TopupRequest.gateway == "sandbox", "sandbox"), else_="card")
    by_source = dict(db.session.execute(
        select(source, func.coalesce(func.sum(TopupRequest.amount), 0))
        .where(TopupRequest.account_id == account_id, TopupRequest.status == "approved")
        .group_by(source)).all())
    spent = -int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.cash_delta), 0)).where(
        LedgerEntry.account_id == account_id, LedgerEntry.kind.in_(("hold", "refund")))) or 0)
    refunded = -int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.cash_delta), 0)).where(
        LedgerEntry.account_id == account_id, LedgerEntry.kind == "cash_refund")) or 0)
    return RefundableCash(int(account.cash), int(by_source.get("bank_transfer", 0)), int(by_source.get("card", 0)),
                          int(by_source.get("sandbox", 0)), max(0, spent), refunded)


def _check_refundable(account_id: int, amount: int) -> None:
    source = refundable_cash(account_id)
    if amount > source.refundable:
        raise ledger.InsufficientBalance(
            f"환불 요청 금액({amount:,}원)이 환불 가능한 충전금({source.refundable:,}원)보다 많습니다. 샌드박스(테스트) 카드 "
            f"결제로 충전한 금액 중 아직 쓰지 않은 {source.sandbox_unspent:,}원과 포인트는 환불되지 않습니다.",
            field="환불 금액", code="not_refundable")

def request_cash_refund(*, account_id: int, amount, bank_name, bank_account, account_holder,
                        now: dt.datetime) -> CashRefundRequest:
    amount = ledger.amount_of(amount, "환불 금액")
    bank_name = rules.required(bank_name, "은행명", max_length=50)
    holder = rules.required(account_holder, "예금주", max_length=30)
    number = "".join(ch for ch in str(bank_account or "") if ch.isdigit() or ch == "-")
    if not (8 <= len(number.replace("-", "")) <= 20) or number != str(bank_account or "").strip():
        raise ValidationError("계좌번호는 숫자와 하이픈(-)으로 8~20자리를 입력해주세요.", field="계좌번호",
                              code="invalid_bank_account")
    with transaction():
        account = get_account(account_id, for_update=True)
        waiting = db.session.scalar(select(CashRefundRequest).where(
            CashRefundRequest.account_id == account_id, CashRefundRequest.status == "requested"))
        if waiting is not None:
            raise InvalidState("처리 중인 환불 요청이 있습니다. 처리된 후 다시 요청해주세요.")
        if amount > account.cash:
            raise ledger.InsufficientBalance(
                f"환불 요청 금액({amount:,}원)이 현재 충전금({account.cash:,}원)보다 많습니다. "
                "포인트는 환불되지 않습니다.", field="환불 금액")
        _check_refundable(account_id, amount)
        request = CashRefundRequest(account_id=account_id, amount=amount, bank_name=bank_name,
                                    bank_account=number, account_holder=holder, status="requested",
                                    requested_at=now)
        db.session.add(request)
    return request


def cancel_cash_refund(*, account_id: int, request_id, now: dt.datetime) -> CashRefundRequest:
    with transaction():
        request = get_owned(CashRefundRequest, request_id, account_id, for_update=True)
        if request.status != "requested":
            raise InvalidState("처리 전의 환불 요청만 취소할 수 있습니다.")
        request.status = "cancelled"
        request.cancelled_at = now
    return request


def decide_cash_refund(request_id, *, approve: bool, actor, now: dt.datetime, reason: str | None = None):
    """환불완료: the cash leaves the wallet in the same transaction (refused if the
    customer has spent it in the meantime)."""
    def pay_out(item: CashRefundRequest):
        ledger.lock_account(item.account_id)
        _check_refundable(item.account_id, item.amount)        # spent or topped up by sandbox since
        ledger.cash_refund(item.account_id, item.amount, key=f"cash_refund:{item.id}", now=now, actor=actor,
                           refund_request_id=item.id, memo=f"{item.bank_name} {item.bank_account} {item.account_holder}")

    with transaction():
        return reviews.decide(CashRefundRequest, request_id, approve=approve, actor=actor, now=now,
                              reason=reason, object_type="cash_refund_request", on_approve=pay_out)


def cash_refund_requests(account_id: int, limit: int = 10) -> list[CashRefundRequest]:
    return list(db.session.scalars(select(CashRefundRequest).where(CashRefundRequest.account_id == account_id)
                                   .order_by(CashRefundRequest.id.desc()).limit(limit)))
