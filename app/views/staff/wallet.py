"""Staff money pages: bank-transfer confirmations and cash refunds (queues), any
account's ledger, points grants/revocations, admin adjustments, price plans."""
from __future__ import annotations

import uuid

from flask import g, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms.validators import InputRequired, NumberRange

from app import clock
from app.errors import Forbidden
from app.models import CashRefundRequest, LedgerEntry, PricePlan, TopupRequest
from app.models.wallet import KIND_LABELS
from app.security.roles import ADMIN, LEDGER, OPERATIONS, PRICING
from app.services.accounts import accounts
from app.services.wallet import ledger, pricing, statements, topups
from app.views.base import StaffModelView, StaffView, flash_outcome
from app.views.staff import cells
from app.views.staff.reviews import ReviewQueueView


class TopupQueueView(ReviewQueueView):
    route_base = "/staff/queues/topups"
    datamodel = SQLAInterface(TopupRequest)
    base_filters = [["status", FilterEqual, "requested"], ["method", FilterEqual, "bank_transfer"]]
    list_title = show_title = "무통장입금 확인"
    extra_args = {"approve_label": "입금확인"}
    list_columns = ["account", "amount", "depositor_name", "requested_at"]
    show_columns = ["account", "amount", "depositor_name", "requested_at"]
    label_columns = {"account": "계정", "amount": "금액", "depositor_name": "입금자명", "requested_at": "요청 일시"}
    search_columns = ["depositor_name", "amount"]
    formatters_columns = {**ReviewQueueView.formatters_columns, "amount": cells.won}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return topups.decide_bank_transfer(pk, approve=approve, actor=actor, now=now, reason=reason)


class CashRefundQueueView(ReviewQueueView):
    route_base = "/staff/queues/refunds"
    datamodel = SQLAInterface(CashRefundRequest)
    list_title = show_title = "환불 요청"
    extra_args = {"approve_label": "환불완료"}
    list_columns = ["account", "amount", "bank_name", "bank_account", "account_holder", "requested_at"]
    show_columns = list_columns
    label_columns = {"account": "계정", "amount": "금액", "bank_name": "은행", "bank_account": "계좌번호",
                     "account_holder": "예금주", "requested_at": "요청 일시"}
    search_columns = ["account", "bank_name", "account_holder"]
    formatters_columns = {**ReviewQueueView.formatters_columns, "amount": cells.won}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return topups.decide_cash_refund(pk, approve=approve, actor=actor, now=now, reason=reason)

    def facts(self, item):
        """Where the account's cash came from (issue 13): sandbox card cash is never paid out."""
        source = topups.refundable_cash(item.account_id)
        return "충전금 출처", [
            ("현재 충전금", cells.won(source.cash)),
            ("무통장입금 충전 (누적)", cells.won(source.bank_transfer)),
            ("카드 결제 충전 (누적)", cells.won(source.card)),
            ("샌드박스(테스트) 카드 충전 (누적)", cells.won(source.sandbox)),
            ("발송에 쓴 충전금 (누적)", cells.won(source.spent_on_sends)),
            ("이미 환불한 금액", cells.won(source.refunded)),
            ("환불 가능 금액", cells.won(source.refundable)),
        ]


class LedgerAdminView(StaffModelView):
    """Any account's ledger (WAL-10), read-only."""

    route_base = "/staff/ledger"
    class_permission_name = LEDGER
    datamodel = SQLAInterface(LedgerEntry)
    list_title = show_title = "원장 (충전/사용 내역)"
    can_add = can_edit = can_delete = False
    base_order = ("id", "desc")
    list_columns = ["created_at", "account", "kind", "cash_delta", "points_delta", "cash_after", "points_after",
                    "send_id", "memo"]
    show_columns = list_columns + ["idempotency_key", "actor"]
    search_columns = ["account", "kind", "send_id", "created_at", "idempotency_key"]
    label_columns = {"created_at": "일시", "account": "계정", "kind": "구분", "cash_delta": "충전금 변동",
                     "points_delta": "포인트 변동", "cash_after": "충전금 잔액", "points_after": "포인트 잔액",
                     "send_id": "발송 ID", "memo": "메모", "idempotency_key": "멱등 키", "actor": "처리자"}
    formatters_columns = {"created_at": cells.kst_seconds, "kind": cells.label(KIND_LABELS),
                          "cash_delta": cells.won_delta, "points_delta": cells.points_delta,
                          "cash_after": cells.won, "points_after": cells.points,
                          "actor": lambda user: user.username if user is not None else ""}


class StaffWalletView(StaffView):
    """An account's money at a glance, with points grants/revocations (operators),
    adjustments and price-plan assignment (admins)."""

    route_base = "/staff/wallet"
    class_permission_name = OPERATIONS
    default_view = "show"

    def _is_admin(self) -> bool:
        return any(role.name == ADMIN for role in g.user.roles)

    @expose("/<int:account_id>")
    @has_access
    def show(self, account_id):
        account = accounts.get_account(account_id)
        entries = statements.latest(account_id, limit=20)
        return self.render_template("staff/wallet.html", account=account, entries=entries,
                                    is_admin=self._is_admin(), plans=pricing.plans(), nonce=uuid.uuid4().hex)

    def _act(self, account_id, func, done):
        return flash_outcome(func, done, "StaffWalletView.show", account_id=account_id)

    @expose("/<int:account_id>/points", methods=["POST"])
    @has_access
    def points(self, account_id):
        form = request.form
        key = f"staff:{form.get('nonce') or uuid.uuid4().hex}"
        if form.get("op") == "revoke":
            return self._act(account_id, lambda: ledger.revoke_points(
                account_id, form.get("amount"), reason=form.get("reason"), key=key, now=clock.now(),
                actor=g.user), "포인트를 회수했습니다.")
        return self._act(account_id, lambda: ledger.grant_points(
            account_id, form.get("amount"), reason=form.get("reason"), key=key, now=clock.now(), actor=g.user),
            "포인트를 지급했습니다.")

    @expose("/<int:account_id>/adjust", methods=["POST"])
    @has_access
    def adjust(self, account_id):
        if not self._is_admin():
            raise Forbidden("조정은 관리자만 할 수 있습니다.")
        form = request.form
        return self._act(account_id, lambda: ledger.adjust(
            account_id, cash_delta=form.get("cash_delta") or 0, points_delta=form.get("points_delta") or 0,
            reason=form.get("reason"), key=f"staff:{form.get('nonce') or uuid.uuid4().hex}", now=clock.now(),
            actor=g.user), "잔액을 조정했습니다.")

    @expose("/<int:account_id>/plan", methods=["POST"])
    @has_access
    def plan(self, account_id):
        if not self._is_admin():
            raise Forbidden("요금제 지정은 관리자만 할 수 있습니다.")
        return self._act(account_id, lambda: pricing.assign_plan(
            account_id=account_id, plan_id=request.form.get("plan_id"), actor=g.user, now=clock.now(),
            reason=request.form.get("reason")),
            "요금제를 지정했습니다.")


_PRICE_VALIDATORS = [InputRequired(message="단가를 입력해주세요."),
                     NumberRange(min=0, max=100_000, message="단가는 0원 이상 100,000원 이하로 입력해주세요.")]


class PricePlanView(StaffModelView):
    route_base = "/staff/price-plans"
    class_permission_name = PRICING
    datamodel = SQLAInterface(PricePlan)
    list_title = show_title = add_title = edit_title = "요금제"
    can_delete = False
    list_columns = ["name", *pricing.PRICE_FIELDS, "is_default"]
    show_columns = ["name", *pricing.PRICE_FIELDS, "is_default", "created_at", "updated_at"]
    add_columns = edit_columns = ["name", *pricing.PRICE_FIELDS]
    search_columns = ["name"]
    description_columns = {name: "건당 단가 (원, 부가세 포함)" for name in pricing.PRICE_FIELDS}
    label_columns = {"name": "이름", "is_default": "기본 요금제", "created_at": "만든 일시", "updated_at": "바꾼 일시",
                     **pricing.PRICE_LABELS}
    formatters_columns = {**{name: cells.won for name in pricing.PRICE_FIELDS}, "is_default": cells.yes_no,
                          "created_at": cells.kst, "updated_at": cells.kst}
    validators_columns = {name: _PRICE_VALIDATORS for name in pricing.PRICE_FIELDS}

    def post_add(self, item):
        pricing.record_plan_created(item, actor=g.user, now=clock.now())

    def pre_update(self, item):
        pricing.record_plan_change(item, actor=g.user, now=clock.now())
