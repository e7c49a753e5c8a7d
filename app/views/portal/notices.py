"""알림: the portal's notices of the account (a review decided, a low balance), newest
first; the header shows how many are unread."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.security.tenancy import current_account_id
from app.services.shared import notices
from app.views.base import PortalView, page_arg


class NoticeView(PortalView):
    route_base = "/notices"

    @expose("/")
    @has_access
    def index(self):
        page = page_arg()
        rows, total = notices.page_of(current_account_id(), page)
        return self.render_template("portal/notices.html", notices=rows, total=total, page=page,
                                    per_page=notices.PER_PAGE, args=request.args)

    @expose("/<int:notice_id>/open", methods=["POST"])
    @has_access
    def open(self, notice_id):
        """Mark one notice read and go to the page it is about."""
        notice = notices.mark_read(account_id=current_account_id(), notice_id=notice_id, now=clock.now())
        return redirect(url_for(notice.link) if notice.link else url_for("NoticeView.index"))

    @expose("/read-all", methods=["POST"])
    @has_access
    def read_all(self):
        count = notices.mark_all_read(account_id=current_account_id(), now=clock.now())
        flash(f"알림 {count:,}건을 읽음으로 표시했습니다." if count else "읽지 않은 알림이 없습니다.", "info")
        return redirect(url_for("NoticeView.index"))
