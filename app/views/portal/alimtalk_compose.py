"""알림톡 발송 (06-kakao.md KAT-06..08, manual "알림톡 작성하기" / "알림톡 발송하기"): the
compose page and the JSON endpoints its script (static/js/alimtalk_compose.js) calls.
Thin: every rule is the accept service's (services/kakao/alimtalk_sends.py, through
services/kakao/alimtalk_compose.py); the page only draws and counts."""
from __future__ import annotations

import uuid

from flask import Response, jsonify, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain.recipient_files import MAX_FILE_BYTES
from app.errors import ValidationError
from app.security.tenancy import current_account, current_account_id
from app.services.kakao import alimtalk_compose
from app.services.senders import kakao_channels, sender_numbers
from app.services.shared import files
from app.views.base import PortalView
from app.views.portal.compose import accepted, compose_limits, json_payload, reasons_localized


class AlimtalkComposeView(PortalView):
    route_base = "/alimtalk"

    @expose("/")
    @has_access
    def index(self):
        account = current_account()
        blocked = alimtalk_compose.blocked_reason(account.id)
        page = {}
        if blocked is None:
            page = {"channels": kakao_channels.approved_channels(account.id),
                    "templates": [alimtalk_compose.for_page(
                        t, url_for("FileView.download", file_id=t.image_file_id) if t.image_file_id else None)
                        for t in alimtalk_compose.approved(account.id)],
                    "senders": sender_numbers.approved_numbers(account.id),
                    "optouts": alimtalk_compose.optouts(account.id)}
        return self.render_template(
            "portal/alimtalk/compose.html", account=account, blocked=blocked, compose_token=uuid.uuid4().hex,
            **compose_limits(), **page)

    @expose("/sample/<int:template_id>.xlsx")
    @has_access
    def sample(self, template_id):
        data, filename = alimtalk_compose.sample_file(current_account_id(), template_id)
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})

    @expose("/recipients/upload", methods=["POST"])
    @has_access
    def upload(self):
        filename, data = files.read_upload(request.files.get("file"), limit=MAX_FILE_BYTES)
        if not filename and not data:
            raise ValidationError("파일을 선택해주세요.", field="파일", code="required")
        stored = alimtalk_compose.store_upload(account_id=current_account_id(),
                                               template_id=request.form.get("template_id"), filename=filename,
                                               data=data, now=clock.now())
        return jsonify(reasons_localized(stored))

    @expose("/quote", methods=["POST"])
    @has_access
    def quote(self):
        return jsonify(reasons_localized(alimtalk_compose.quote(current_account_id(), json_payload(), clock.now())))

    @expose("/send", methods=["POST"])
    @has_access
    def send(self):
        return accepted(alimtalk_compose.send(current_account_id(), json_payload(), clock.now()),
                        "KakaoHistoryView.detail", alimtalk_compose.accepted_message)
