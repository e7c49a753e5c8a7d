"""카카오톡 발송내역 (06-kakao.md KRS-01..03, manual 발송결과 확인하기 — 카카오톡): the list of
Kakao sends, the detail with its 카카오톡 and 대체문자 tabs, the per-recipient Excel file.
선택삭제 and 전체삭제 as the SMS list has them (one service, retention.delete_sends).
문자로 재발송하기 goes to the SMS compose page (its resend); cancel and the export jobs
are the SMS history's routes, which serve every channel."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import moments
from app.errors import MegabirdError
from app.models.sending import SEND_STATUS_LABELS
from app.security.tenancy import current_account_id
from app.services.history import exports, kakao, queries
from app.services.shared import xlsx
from app.views.base import PortalView, page_arg
from app.views.portal.history import delete_listed

PER_PAGE = 20
RECIPIENTS_PER_PAGE = 50


def _filter_args(args):
    """The list's filters (KRS-01) → (SendFilter, Period)."""
    period = queries.period_of(args.get("period"), args.get("from"), args.get("to"), clock.now())
    flt = queries.SendFilter(
        channels=kakao.CHANNELS,
        msg_type=moments.check_choice(args.get("type"), kakao.TYPES, "유형"),
        status=moments.check_choice(args.get("status"), SEND_STATUS_LABELS, "발송 상태"),
        search_id=(args.get("channel") or "").strip() or None,
        start=period.start, end=period.end, search=(args.get("q") or "").strip() or None)
    return flt, period


class KakaoHistoryView(PortalView):
    route_base = "/history/kakao"

    @expose("/")
    @has_access
    def index(self):
        account_id = current_account_id()
        args, error, status = request.args, None, 200
        try:
            flt, period = _filter_args(args)
        except MegabirdError as exc:
            error, status = exc, exc.status
            flt, period = _filter_args({})
        rows, total = kakao.list_sends(account_id, flt, page=page_arg(), per_page=PER_PAGE)
        return self.render_template("portal/history/kakao_list.html", rows=rows, total=total, page=page_arg(),
                                    per_page=PER_PAGE, sentence=period.sentence(total), periods=queries.PERIODS,
                                    statuses=SEND_STATUS_LABELS, types=kakao.TYPES,
                                    channels=kakao.channel_choices(account_id), args=args, error=error), status

    @expose("/delete", methods=["POST"])
    @has_access
    def delete(self):
        return delete_listed(_filter_args, kakao.CHANNELS, "KakaoHistoryView.index")

    @expose("/<int:send_id>")
    @has_access
    def detail(self, send_id):
        send = kakao.get_send(current_account_id(), send_id)
        tab = "fallback" if request.args.get("tab") == "fallback" and send.fallback_msg_type else "primary"
        states, categories = request.args.getlist("status"), request.args.getlist("category")
        flt = kakao.message_filter(states, categories, tab)
        recipients, recipients_total = [], 0
        if request.args.get("show"):
            recipients, recipients_total = queries.list_messages(send, flt, page=page_arg(),
                                                                 per_page=RECIPIENTS_PER_PAGE)
        return self.render_template(
            "portal/history/kakao_detail.html", send=send, facts=kakao.kakao_facts(send),
            outcome=kakao.recipient_outcome(send), layers=kakao.layers(send), tab=flt.layer, flt=flt,
            recipients=recipients, recipients_total=recipients_total, page=page_arg(),
            per_page=RECIPIENTS_PER_PAGE, status_labels=queries.MESSAGE_STATUS_LABELS, args=request.args,
            inline_limit=exports.INLINE_LIMIT)

    @expose("/<int:send_id>/export.xlsx")
    @has_access
    def export_messages(self, send_id):
        account_id = current_account_id()
        send = kakao.get_send(account_id, send_id)
        flt = kakao.message_filter(request.args.getlist("status"), request.args.getlist("category"),
                                   request.args.get("tab"))
        result = exports.export_kakao_messages(account_id=account_id, send=send, flt=flt, now=clock.now())
        if isinstance(result, exports.InlineExport):
            return xlsx.xlsx_response(filename=result.filename, title="수신자별 발송내역",
                                      headers=exports.KAKAO_MESSAGE_HEADERS, rows=result.rows)
        return redirect(url_for("ExportView.show", job_id=result.id))
