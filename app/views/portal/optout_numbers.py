"""무료거부 080 번호 (SND-09, under 발신정보관리): the service's shared 080 number with the
account's 인증코드, and the account's own 080 numbers — applied for with a document,
reviewed by an operator, the rejection reason shown, sent again, deleted."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain.files import MAX_DOCUMENT_BYTES
from app.errors import MegabirdError
from app.security.tenancy import current_account, current_account_id
from app.services.accounts import optout_codes
from app.services.senders import optout_numbers
from app.services.shared import files
from app.views.base import ON_PAGE, PortalView


def _document():
    return files.read_upload(request.files.get("document"), limit=MAX_DOCUMENT_BYTES)


class OptoutNumberView(PortalView):
    route_base = "/senders/optout"

    def _list(self, error=None, status=200):
        account_id = current_account_id()
        return self.render_template("portal/senders/optout_list.html", choices=optout_codes.choices(account_id),
                                    numbers=optout_numbers.list_numbers(account_id),
                                    status_labels=optout_numbers.STATUS_LABELS, error=error), status

    @expose("/")
    @has_access
    def index(self):
        return self._list()

    def _form(self, error=None, status=200, form=None):
        return self.render_template("portal/senders/optout_form.html", form=form or {}, error=error,
                                    note_max=optout_numbers.NOTE_MAX, document_label=optout_numbers.DOCUMENT_LABEL,
                                    shared=optout_codes.shared_number()), status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "GET":
            return self._form()
        try:
            optout_numbers.request_number(account_id=current_account_id(), number=request.form.get("number"),
                                          document=_document(), note=request.form.get("note"), now=clock.now())
        except MegabirdError as error:
            return self._form(error, error.status, request.form)
        flash("080 번호 등록을 요청했습니다. 담당자 검토 후 등록이 완료됩니다 (영업일 기준 2-3일).", "success")
        return redirect(url_for("OptoutNumberView.index"))

    def _detail(self, item, error=None, status=200):
        return self.render_template("portal/senders/optout_detail.html", item=item, account=current_account(),
                                    status_labels=optout_numbers.STATUS_LABELS, error=error,
                                    note_max=optout_numbers.NOTE_MAX,
                                    document_label=optout_numbers.DOCUMENT_LABEL), status

    @expose("/<int:number_id>")
    @has_access
    def detail(self, number_id):
        return self._detail(optout_numbers.get_number(current_account_id(), number_id))

    @expose("/<int:number_id>/resubmit", methods=["POST"])
    @has_access
    def resubmit(self, number_id):
        item = optout_numbers.get_number(current_account_id(), number_id)
        try:
            optout_numbers.request_number(account_id=item.account_id, number=item.number, document=_document(),
                                          note=request.form.get("note"), now=clock.now())
        except MegabirdError as error:
            return self._detail(item, error, error.status)
        flash("080 번호 등록을 다시 요청했습니다.", "success")
        return redirect(url_for("OptoutNumberView.index"))

    @expose("/<int:number_id>/delete", methods=["POST"])
    @has_access
    def delete(self, number_id):
        try:
            optout_numbers.delete_number(account_id=current_account_id(), number_id=number_id, now=clock.now())
        except ON_PAGE as error:          # a missing row still answers 404
            return self._list(error, error.status)
        flash("080 번호를 삭제했습니다.", "info")
        return redirect(url_for("OptoutNumberView.index"))
