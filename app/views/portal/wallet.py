"""충전: balances, top-ups (bank transfer, card), 충전/사용 내역 with its Excel export
(WAL-03, WAL-10) and 환불 요청 (WAL-09)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.errors import MegabirdError
from app.models.wallet import KIND_LABELS
from app.security.tenancy import current_account, current_account_id
from app.services.shared import xlsx
from app.services.wallet import statements, topups
from app.views.base import PortalView, page_arg


class WalletView(PortalView):
    route_base = "/wallet"

    def _render(self, error=None, status=200, form=None):
        account = current_account()
        return self.render_template(
            "portal/wallet.html", account=account, pending=topups.pending_topups(account.id),
            recent=topups.recent_topups(account.id), bank_account=topups.bank_account_info(),
            form=form or {}, error=error), status

    @expose("/")
    @has_access
    def index(self):
        return self._render()

    @expose("/bank-transfer", methods=["POST"])
    @has_access
    def bank_transfer(self):
        try:
            topups.request_bank_transfer(account_id=current_account_id(), amount=request.form.get("amount"),
                                         depositor_name=request.form.get("depositor_name"), now=clock.now())
        except MegabirdError as error:
            return self._render(error, error.status, request.form)
        flash("무통장입금 충전을 요청했습니다. 입금이 확인되면 충전금에 반영됩니다.", "success")
        return redirect(url_for("WalletView.index"))

    @expose("/card", methods=["POST"])
    @has_access
    def card(self):
        try:
            topups.pay_by_card(account_id=current_account_id(), amount=request.form.get("card_amount"),
                               customer=g.user.username, now=clock.now(), actor=g.user)
        except MegabirdError as error:
            return self._render(error, error.status, request.form)
        flash("카드 결제가 승인되어 충전되었습니다.", "success")
        return redirect(url_for("WalletView.index"))

    @expose("/topups/<int:topup_id>/cancel", methods=["POST"])
    @has_access
    def cancel_topup(self, topup_id):
        topups.cancel_request(account_id=current_account_id(), topup_id=topup_id, now=clock.now())
        flash("충전 요청을 취소했습니다.", "info")
        return redirect(url_for("WalletView.index"))

    @expose("/statement")
    @has_access
    def statement(self):
        account_id = current_account_id()
        error, status = None, 200
        try:
            flt = statements.StatementFilter.parse(request.args)
        except MegabirdError as exc:
            flt, error, status = statements.StatementFilter(), exc, exc.status
        page_number = page_arg()
        rows, total = statements.page(account_id, flt, page_number)
        return self.render_template("portal/statement.html", rows=rows, total=total, page=page_number,
                                    per_page=statements.PER_PAGE, flt=flt, kinds=KIND_LABELS, error=error,
                                    args=request.args), status

    @expose("/statement.xlsx")
    @has_access
    def statement_export(self):
        account_id = current_account_id()
        flt = statements.StatementFilter.parse(request.args)
        return xlsx.xlsx_response(filename="megabird-statement.xlsx", title="충전사용내역",
                                     headers=statements.EXPORT_HEADERS,
                                     rows=statements.export_rows(account_id, flt))

    @expose("/refund", methods=["GET", "POST"])
    @has_access
    def refund(self):
        account = current_account()
        error, status = None, 200
        if request.method == "POST":
            try:
                topups.request_cash_refund(account_id=account.id, amount=request.form.get("amount"),
                                           bank_name=request.form.get("bank_name"),
                                           bank_account=request.form.get("bank_account"),
                                           account_holder=request.form.get("account_holder"), now=clock.now())
                flash("환불을 요청했습니다. 담당자가 확인 후 입금해드립니다.", "success")
                return redirect(url_for("WalletView.refund"))
            except MegabirdError as exc:
                error, status = exc, exc.status
        return self.render_template("portal/refund.html", account=account,
                                    source=topups.refundable_cash(account.id),
                                    requests=topups.cash_refund_requests(account.id),
                                    form=request.form if error else {}, error=error), status

    @expose("/refund/<int:request_id>/cancel", methods=["POST"])
    @has_access
    def cancel_refund(self, request_id):
        topups.cancel_cash_refund(account_id=current_account_id(), request_id=request_id, now=clock.now())
        flash("환불 요청을 취소했습니다.", "info")
        return redirect(url_for("WalletView.refund"))
