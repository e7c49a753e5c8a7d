"""발송내역 (05-results.md, manual 발송결과 확인하기): the list with its filters, the
detail with the result breakdown and recipients, exports, resend, delete, template
saving and reservations."""
from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import moments
from app.domain.results import SMS_CATEGORIES
from app.errors import MegabirdError
from app.models.sending import SEND_STATUS_LABELS
from app.security.tenancy import current_account_id
from app.services.contacts import sms_templates
from app.services.history import exports, kakao, queries, retention
from app.services.sending import lifecycle
from app.services.shared import xlsx
from app.views.base import PortalView, page_arg
from app.views.portal.files import stored_file_response

PER_PAGE = 20
RECIPIENTS_PER_PAGE = 50


def _filter_args(args):
    """The list's filters (RES-02) → (SendFilter, Period)."""
    period = queries.period_of(args.get("period"), args.get("from"), args.get("to"), clock.now())
    flt = queries.SendFilter(
        channel="sms",
        msg_type=moments.check_choice(args.get("type"), ("SMS", "LMS", "MMS"), "유형"),
        status=moments.check_choice(args.get("status"), SEND_STATUS_LABELS, "상태"),
        start=period.start, end=period.end, search=(args.get("q") or "").strip() or None)
    return flt, period


def delete_listed(filter_args, channels: tuple[str, ...], back: str):
    """선택삭제 or 전체삭제 of a history list (문자 or 카카오톡, RES-02/RES-06): the chosen
    ids of the list's channels, or every send its filters (in the form) show."""
    account_id = current_account_id()
    if request.form.get("all") == "1":
        flt, _period = filter_args(request.form)
        count = retention.delete_sends(account_id=account_id, flt=flt)
    else:
        count = retention.delete_sends(account_id=account_id, send_ids=request.form.getlist("send_id"),
                                       channels=channels)
    flash(f"발송내역 {count}건을 삭제했습니다. 진행중이거나 예약된 발송은 삭제되지 않습니다.", "info")
    return redirect(url_for(back))


class HistoryView(PortalView):
    route_base = "/history"

    @expose("/")
    @has_access
    def index(self):
        return self._list(request.args)

    def _list(self, args, error: MegabirdError | None = None):
        """The list with its filters; a refused action shows on it, with its status."""
        account_id = current_account_id()
        status = error.status if error else 200
        try:
            flt, period = _filter_args(args)
        except MegabirdError as exc:
            error, status = exc, exc.status
            flt, period = _filter_args({})
        rows, total = queries.list_sends(account_id, flt, page=page_arg(), per_page=PER_PAGE)
        return self.render_template("portal/history/list.html", rows=rows, total=total, page=page_arg(),
                                    per_page=PER_PAGE, sentence=period.sentence(total), periods=queries.PERIODS,
                                    statuses=SEND_STATUS_LABELS, args=args, error=error), status

    @expose("/<int:send_id>")
    @has_access
    def detail(self, send_id):
        account_id = current_account_id()
        send = queries.get_send(account_id, send_id)
        if send.channel != "sms":       # a Kakao send has its own detail (KRS-02)
            return redirect(url_for("KakaoHistoryView.detail", send_id=send.id))
        states = request.args.getlist("status")
        categories = request.args.getlist("category")
        flt = queries.parse_message_filter(states, categories)
        recipients, recipients_total = ([], 0)
        if request.args.get("show"):
            recipients, recipients_total = queries.list_messages(send, flt, page=page_arg(), per_page=RECIPIENTS_PER_PAGE)
        return self.render_template(
            "portal/history/detail.html", send=send, categories=queries.categories(send.id),
            category_labels=SMS_CATEGORIES, preview=queries.as_composed(send),
            recipients=recipients, recipients_total=recipients_total, page=page_arg(), per_page=RECIPIENTS_PER_PAGE,
            states=states, checked_categories=categories, status_labels=queries.MESSAGE_STATUS_LABELS,
            args=request.args, inline_limit=exports.INLINE_LIMIT)

    @expose("/<int:send_id>/export.xlsx")
    @has_access
    def export_messages(self, send_id):
        result = exports.export_messages(account_id=current_account_id(), send_id=send_id,
                                             states=request.args.getlist("status"),
                                             categories=request.args.getlist("category"), now=clock.now())
        if isinstance(result, exports.InlineExport):
            return xlsx.xlsx_response(filename=result.filename, title="수신자별 발송내역",
                                         headers=exports.MESSAGE_HEADERS, rows=result.rows)
        return redirect(url_for("ExportView.show", job_id=result.id))

    @expose("/export.xlsx", methods=["POST"])
    @has_access
    def export_sends(self):
        ids = request.form.getlist("send_id")
        try:
            rows = list(exports.send_rows(current_account_id(), ids))
        except MegabirdError as exc:        # nothing chosen: stay on the list, with the reason
            return self._list(request.form, error=exc)
        return xlsx.xlsx_response(filename="megabird-sends.xlsx", title="문자 발송내역",
                                     headers=exports.SEND_HEADERS, rows=rows)

    @expose("/delete", methods=["POST"])
    @has_access
    def delete(self):
        return delete_listed(_filter_args, ("sms",), "HistoryView.index")

    @expose("/<int:send_id>/template", methods=["POST"])
    @has_access
    def save_template(self, send_id):
        template = sms_templates.save_from_send(account_id=current_account_id(), send_id=send_id,
                                                    now=clock.now())
        flash(f"'{template.name}' 템플릿으로 저장했습니다.", "success")
        return redirect(request.referrer or url_for("HistoryView.index"))

    @expose("/<int:send_id>/cancel", methods=["POST"])
    @has_access
    def cancel(self, send_id):
        lifecycle.cancel(account_id=current_account_id(), send_id=send_id, now=clock.now())
        flash("예약 발송을 취소했습니다. 선차감 금액은 모두 재충전되었습니다.", "success")
        return redirect(request.referrer or url_for("HistoryView.reservations"))

    @expose("/reservations")
    @has_access
    def reservations(self):
        group = request.args.get("channel") if request.args.get("channel") in queries.RESERVATION_GROUPS else "sms"
        return self.render_template("portal/history/reservations.html", group=group,
                                    groups=queries.RESERVATION_GROUPS,
                                    rows=kakao.reservations(current_account_id(), group))


class ExportView(PortalView):
    """A large export built by a job: progress, then the download."""

    route_base = "/exports"

    @expose("/<int:job_id>")
    @has_access
    def show(self, job_id):
        job = exports.get(current_account_id(), job_id)
        if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
            return jsonify(exports.as_dict(job))
        return self.render_template("portal/history/export.html", job=job)

    @expose("/<int:job_id>/download")
    @has_access
    def download(self, job_id):
        job = exports.get(current_account_id(), job_id)
        if job.status != "done" or job.file is None:
            flash("아직 만들고 있습니다. 잠시 후 다시 시도해주세요.", "info")
            return redirect(url_for("ExportView.show", job_id=job.id))
        return stored_file_response(job.file, download_name=job.filename, attachment=True)
