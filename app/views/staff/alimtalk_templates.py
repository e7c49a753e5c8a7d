"""알림톡 템플릿 검수 (06-kakao.md KAT-05): the operators' queue while the sandbox plays
Kakao's reviewer — 검수 시작, then 승인 or 반려 with a reason, and 답변 in the template's
thread — and every account's templates for staff, who block and unblock them (KAT-03).
Thin: app/services/kakao/templates.py decides; opening a page changes nothing."""
from __future__ import annotations

from flask import g, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import alimtalk
from app.domain.korean import N_
from app.errors import ValidationError
from app.security.roles import OPERATIONS
from app.services.kakao import templates
from app.views.base import StaffView, flash_outcome, page_arg

PER_PAGE = 25

#: how a line of the history names who did it, on the staff pages
ACTOR_LABELS = {"customer": N_("고객"), "staff": N_("운영자"), "kakao": N_("카카오"), "system": N_("시스템")}


class _TemplatePage:
    """The template's page, shared by the queue (with the review steps) and the staff
    list (with 차단 and 차단 해제), and 답변 from either."""

    page_kind = ""

    def _page(self, pk):
        template = templates.get_for_staff(pk)
        image_url = (url_for("FileView.download", file_id=template.image_file_id)
                     if template.image_file_id else None)
        return self.render_template(
            "staff/alimtalk_template.html", t=template, form=templates.as_form(template), image_url=image_url,
            events=templates.history(template), operators_review=templates.reviewed_by_operators(),
            page_kind=self.page_kind, endpoint=self.endpoint, actor_labels=ACTOR_LABELS,
            message_types=alimtalk.MESSAGE_TYPES, emphasis_types=alimtalk.EMPHASIS_TYPES,
            button_types=alimtalk.BUTTON_TYPES, categories=alimtalk.CATEGORIES,
            system_comments=templates.SYSTEM_COMMENTS, queue_states=templates.QUEUE_STATUSES, blockable=templates.BLOCKABLE)

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return self._page(pk)

    @expose("/<int:pk>/comment", methods=["POST"])
    @has_access
    def comment(self, pk):
        return flash_outcome(lambda: templates.staff_comment(pk, actor=g.user, comment=request.form.get("comment"),
                                                             now=clock.now()),
                             "답변을 남겼습니다. 고객의 검수 이력에 표시됩니다.", f"{self.endpoint}.show", pk=pk)


class AlimtalkTemplateQueueView(_TemplatePage, StaffView):
    """심사 대기열 > 알림톡 템플릿 검수: 등록요청 and 검수중 templates, the oldest request first."""

    route_base = "/staff/queues/alimtalk-templates"
    class_permission_name = OPERATIONS
    default_view = "list"
    page_kind = "queue"

    @expose("/")
    @has_access
    def list(self):
        items, total = templates.review_queue(page=page_arg(), per_page=PER_PAGE)
        return self.render_template("staff/alimtalk_queue.html", items=items, total=total, page=page_arg(),
                                    per_page=PER_PAGE, operators_review=templates.reviewed_by_operators())

    @expose("/<int:pk>/start", methods=["POST"])
    @has_access
    def start(self, pk):
        return flash_outcome(lambda: templates.start_review(pk, actor=g.user, now=clock.now()),
                             "검수를 시작했습니다. 내용을 확인한 뒤 승인하거나 반려해주세요.",
                             "AlimtalkTemplateQueueView.show", pk=pk)

    @expose("/<int:pk>/approve", methods=["POST"])
    @has_access
    def approve(self, pk):
        return flash_outcome(lambda: templates.decide(pk, approve=True, actor=g.user, now=clock.now()),
                             "템플릿을 승인했습니다. 고객이 이 템플릿으로 알림톡을 보낼 수 있습니다.",
                             "AlimtalkTemplateQueueView.show", pk=pk)

    @expose("/<int:pk>/reject", methods=["POST"])
    @has_access
    def reject(self, pk):
        return flash_outcome(lambda: templates.decide(pk, approve=False, actor=g.user, now=clock.now(),
                                                      reason=request.form.get("reason")),
                             "템플릿을 반려했습니다. 반려 사유는 고객에게 알림으로 전달됩니다.",
                             "AlimtalkTemplateQueueView.show", pk=pk)


class AlimtalkTemplateAdminView(_TemplatePage, StaffView):
    """고객 관리 > 알림톡 템플릿: every account's templates, filtered by state, account and
    a search over code, title and content."""

    route_base = "/staff/alimtalk-templates"
    class_permission_name = OPERATIONS
    default_view = "list"
    page_kind = "admin"

    @expose("/")
    @has_access
    def list(self):
        filters = {"status": request.args.get("status", ""), "account": request.args.get("account", ""),
                   "q": request.args.get("q", "")}
        error, items, total, status = None, [], 0, 200
        try:
            items, total = templates.all_templates(account_id=filters["account"], status=filters["status"],
                                                   query=filters["q"], page=page_arg(), per_page=PER_PAGE)
        except ValidationError as refused:
            error, status = refused, refused.status
        return self.render_template("staff/alimtalk_templates.html", items=items, total=total, page=page_arg(),
                                    per_page=PER_PAGE, filters=filters, error=error,
                                    accounts=templates.accounts_with_templates(),
                                    status_labels=templates.STATUS_LABELS), status

    @expose("/<int:pk>/block", methods=["POST"])
    @has_access
    def block(self, pk):
        return flash_outcome(lambda: templates.block(pk, actor=g.user, reason=request.form.get("reason"),
                                                     now=clock.now()),
                             "템플릿을 차단했습니다. 차단을 해제할 때까지 이 템플릿으로 보낼 수 없습니다.",
                             "AlimtalkTemplateAdminView.show", pk=pk)

    @expose("/<int:pk>/unblock", methods=["POST"])
    @has_access
    def unblock(self, pk):
        return flash_outcome(lambda: templates.unblock(pk, actor=g.user, reason=request.form.get("reason"),
                                                       now=clock.now()),
                             "차단을 해제했습니다. 템플릿이 차단 전 상태로 돌아갔습니다.",
                             "AlimtalkTemplateAdminView.show", pk=pk)
