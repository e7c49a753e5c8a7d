"""템플릿 관리 > 알림톡 템플릿 관리 (06-kakao.md KAT-01..04, manual chapter 03): the list,
알림톡 템플릿 등록 with its live preview, the template's page with 검수 이력, edit, request
again, delete. Thin: app/services/kakao/templates.py decides."""
from __future__ import annotations

from flask_appbuilder import expose, has_access

from app.security.tenancy import current_account, current_account_id
from app.services.kakao import templates
from app.views.base import PortalView, page_arg

PER_PAGE = 10


class AlimtalkTemplateView(PortalView):
    route_base = "/alimtalk/templates"

    @expose("/")
    @has_access
    def index(self):
        items, total = templates.list_templates(current_account_id(), page=page_arg(), per_page=PER_PAGE)
        return self.render_template("portal/alimtalk/list.html", items=items, total=total, page=page_arg(),
                                    per_page=PER_PAGE, account=current_account(),
                                    status_labels=templates.STATUS_LABELS)
