"""The finance workspace (08-tax-invoice.md TAX-03, TAX-05..07), resource FinanceArea (finance
staff and admins): 재무 대시보드, the 세금계산서 발행 대기열 with 선택 발행 and its Excel export,
one invoice (발행, 다시 발행, 발행 정보 다시 불러오기, the PDF copy, 수정세금계산서) and the
임시공휴일 calendar. Thin: app/services/billing/finance.py reads and acts, through
billing/invoices for every rule of an invoice."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _

from app import clock
from app.domain.korean import josa
from app.domain.tax_invoice import CORRECTION_REASONS
from app.errors import InvalidState, MegabirdError, ValidationError
from app.gateways.tax_invoices import format_approval
from app.models.billing import STATUS_LABELS
from app.security.roles import FINANCE_AREA
from app.services.billing import finance
from app.services.shared import xlsx
from app.views.base import StaffView, no_cache, page_arg
from app.views.portal.files import stored_file_response


def _filter_or_refusal(args) -> tuple[finance.QueueFilter, MegabirdError | None]:
    try:
        return finance.queue_filter(args.get("month"), args.get("status"), args.get("q")), None
    except ValidationError as refused:
        return finance.QueueFilter(), refused


class FinanceDashboardView(StaffView):
    """재무 대시보드: this month's invoiced total, what waits, the deadline warnings, the failed
    issues and the next monthly run (the tick runs it; there is no button for it)."""

    route_base = "/staff/finance"
    class_permission_name = FINANCE_AREA

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("staff/finance/dashboard.html", board=finance.dashboard(clock.now()),
                                    status_labels=STATUS_LABELS)


class FinanceInvoiceView(StaffView):
    """세금계산서 발행 대기열 and one invoice."""

    route_base = "/staff/finance/invoices"
    class_permission_name = FINANCE_AREA
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        f, refusal = _filter_or_refusal(request.args)
        items, total = finance.queue(f, page=page_arg(), per_page=finance.PER_PAGE)
        return self.render_template("staff/finance/queue.html", items=items, total=total, page=page_arg(),
                                    per_page=finance.PER_PAGE, f=f, error=refusal, asked=request.args,
                                    months=finance.months(), status_labels=STATUS_LABELS,
                                    issue_limit=finance.ISSUE_LIMIT), refusal.status if refusal else 200

    @expose("/export.xlsx")
    @has_access
    def export(self):
        f = finance.queue_filter(request.args.get("month"), request.args.get("status"), request.args.get("q"))
        return xlsx.workbook_response(filename=finance.export_filename(f, gettext=_),
                                      sheets=[finance.export_sheet(f, gettext=_)])

    def _back_to_list(self):
        f, _refusal = _filter_or_refusal(request.form)
        return redirect(url_for("FinanceInvoiceView.list", **f.args()))

    @expose("/issue", methods=["POST"])
    @has_access
    def issue_selected(self):
        try:
            outcome = finance.issue_many(request.form.getlist("invoice_id"), actor=g.user, now=clock.now())
        except MegabirdError as refused:
            flash(refused.message, "danger")
            return self._back_to_list()
        flash(outcome.summary(), "success" if not (outcome.failed or outcome.refused) else "warning")
        for invoice in outcome.failed[:5]:
            flash(f"{invoice.serial} {invoice.buyer_name}: {invoice.failure_reason}", "danger")
        for _invoice_id, why in outcome.refused[:5]:
            flash(why, "danger")
        return self._back_to_list()

    @expose("/<int:pk>")
    @has_access
    @no_cache
    def show(self, pk):
        invoice = finance.get(pk)
        return self.render_template(
            "staff/finance/invoice.html", invoice=invoice, parties=finance.parties(invoice),
            corrections=finance.corrections_of(invoice),
            can_correct=finance.can_correct(invoice), history=finance.history(invoice),
            breakdown=finance.breakdown(invoice), refreshable=finance.refreshable(invoice),
            changes=finance.party_changes(invoice), reasons=CORRECTION_REASONS, format_approval=format_approval,
            kind_labels=finance.KIND_LABELS)

    @expose("/<int:pk>/issue", methods=["POST"])
    @has_access
    def issue(self, pk):
        outcome = finance.issue_many([pk], actor=g.user, now=clock.now())
        if outcome.issued:
            invoice = outcome.issued[0]
            flash(f"세금계산서를 발행했습니다. 승인번호 {format_approval(invoice.approval_number)}", "success")
        elif outcome.already:
            flash("이미 발행된 세금계산서입니다. 다시 발행하지 않았습니다.", "info")
        elif outcome.failed:
            flash(f"발행하지 못했습니다. {outcome.failed[0].failure_reason}", "danger")
        else:
            flash(outcome.refused[0][1], "danger")
        return redirect(url_for("FinanceInvoiceView.show", pk=pk))

    @expose("/<int:pk>/refresh", methods=["POST"])
    @has_access
    def refresh(self, pk):
        try:
            finance.refresh_parties(pk, actor=g.user, now=clock.now())
        except MegabirdError as refused:
            flash(refused.message, "danger")
        else:
            flash("고객 계정의 현재 사업자 정보와 공급자 설정으로 발행 정보를 다시 불러왔습니다. 확인한 뒤 발행해주세요.",
                  "success")
        return redirect(url_for("FinanceInvoiceView.show", pk=pk))

    @expose("/<int:pk>/pdf")
    @has_access
    def pdf(self, pk):
        stored, name = finance.pdf_of(pk)
        return stored_file_response(stored, download_name=name, attachment=True)

    @expose("/<int:pk>/correct", methods=["GET", "POST"])
    @has_access
    def correct(self, pk):
        invoice = finance.get(pk)
        form = request.form if request.method == "POST" else {}
        error = None
        if request.method == "POST":
            try:
                made = finance.correct(pk, reason=form.get("reason"), amount=form.get("amount"), actor=g.user,
                                       now=clock.now())
            except MegabirdError as refused:
                error = refused
            else:
                flash(f"수정세금계산서 {len(made):,}건을 발행대기로 만들었습니다. 내용을 확인한 뒤 발행해주세요.", "success")
                return redirect(url_for("FinanceInvoiceView.show", pk=pk))
        elif not finance.can_correct(invoice):
            error = InvalidState("발행된 월합계 세금계산서 중 아직 취소·정정되지 않은 것만 수정할 수 있습니다.")
        page = self.render_template("staff/finance/correct.html", invoice=invoice, error=error, form=form,
                                    reasons=CORRECTION_REASONS, effects=finance.CORRECTION_EFFECTS,
                                    can_correct=finance.can_correct(invoice), format_approval=format_approval)
        return page, error.status if error else 200


class ExtraHolidayView(StaffView):
    """임시공휴일 (TAX-03): days off the `holidays` package does not know yet, which move the
    monthly run and the deadline."""

    route_base = "/staff/finance/holidays"
    class_permission_name = FINANCE_AREA

    def _page(self, error=None, form=None):
        now = clock.now()
        return self.render_template("staff/finance/holidays.html", holidays=finance.holidays(), error=error,
                                    form=form or {}, calendar=finance.calendar(now),
                                    today=clock.to_kst(now).date()), error.status if error else 200

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/add", methods=["POST"])
    @has_access
    def add(self):
        try:
            holiday = finance.add_holiday(request.form.get("day"), request.form.get("name"), actor=g.user,
                                          now=clock.now())
        except MegabirdError as refused:
            return self._page(refused, request.form)
        flash(f"{holiday.day:%Y-%m-%d} {josa(holiday.name, '을/를')} 임시공휴일로 추가했습니다.", "success")
        return redirect(url_for("ExtraHolidayView.index"))

    @expose("/delete", methods=["POST"])
    @has_access
    def delete(self):
        try:
            finance.delete_holiday(request.form.get("day"), actor=g.user, now=clock.now())
        except MegabirdError as refused:
            return self._page(refused)
        flash("임시공휴일을 삭제했습니다.", "success")
        return redirect(url_for("ExtraHolidayView.index"))
