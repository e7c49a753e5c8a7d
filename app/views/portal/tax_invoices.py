"""충전 > 세금계산서 (08-tax-invoice.md TAX-01, TAX-02, TAX-04; the manual's 06 세금계산서): the
담당자 정보 form with the 사업자 등록 정보 read-only, this month's running totals, the history of
the last five years, one invoice's detail and its PDF copy. Corporate accounts only: an
individual account is told so and pointed to 기업전환."""
from __future__ import annotations

from urllib.parse import quote

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain.numbers import format_number
from app.errors import MegabirdError
from app.security.tenancy import current_account, current_account_id
from app.services.billing import customer
from app.views.base import PortalView, page_arg
from app.views.portal.files import stored_file_response


class TaxInvoiceView(PortalView):
    route_base = "/tax-invoices"

    def _render(self, error: MegabirdError | None = None, form=None):
        account = current_account()
        status = error.status if error else 200
        if not account.is_corporate:
            return self.render_template("portal/tax_invoices/individual.html", account=account, error=error), status
        now = clock.now()
        rows, total = customer.history(account.id, now, page=page_arg())
        settings = customer.settings_of(account)
        if form is None:
            form = {"issue": "auto" if settings.auto else "none", "contact_name": settings.contact_name or "",
                    "contact_email": settings.contact_email or "", "contact_phone": format_number(settings.contact_phone),
                    "request_note": settings.request_note or ""}
        return self.render_template(
            "portal/tax_invoices/index.html", account=account, form=form, error=error,
            running=customer.running_totals(account.id, now), rows=rows, total=total, page=page_arg(),
            per_page=customer.PER_PAGE, note_max=customer.REQUEST_NOTE_MAX, args=request.args), status

    @expose("/")
    @has_access
    def index(self):
        return self._render()

    @expose("/settings", methods=["POST"])
    @has_access
    def settings(self):
        """[신청]: 발행 여부 and the 담당자 정보 saved; a refusal re-renders the form with it."""
        try:
            account = customer.save_settings(account_id=current_account_id(), form=request.form, actor=g.user,
                                             now=clock.now())
        except MegabirdError as error:
            return self._render(error, request.form)
        if account.tax_invoice_auto:
            flash("세금계산서 신청이 완료되었습니다. 매월 5일(휴일인 경우 다음 영업일)에 담당자 이메일로 발행됩니다.",
                  "success")
        else:
            flash("세금계산서 발행 설정을 저장했습니다. 세금계산서를 발행하지 않습니다.", "success")
        return redirect(url_for("TaxInvoiceView.index"))

    @expose("/<int:invoice_id>")
    @has_access
    def detail(self, invoice_id):
        found = customer.detail(current_account_id(), invoice_id)
        return self.render_template("portal/tax_invoices/detail.html", d=found, invoice=found.invoice)

    @expose("/<int:invoice_id>/pdf")
    @has_access
    def pdf(self, invoice_id):
        """The PDF copy (보관용 사본) of an issued invoice, under its Korean name with an ASCII one
        for clients that cannot read it."""
        copy = customer.pdf_copy(current_account_id(), invoice_id)
        response = stored_file_response(copy.file, download_name=copy.filename, attachment=True)
        response.headers.set("Content-Disposition", "attachment", filename=copy.ascii_filename,
                             **{"filename*": "UTF-8''" + quote(copy.filename, safe="!#$&+-.^_`|~")})
        return response
