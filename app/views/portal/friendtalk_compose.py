"""친구톡 발송 (06-kakao.md KFT-01..04, KAT-07/08; manual "친구톡 작성하기", "친구톡 발송하기"),
sent as a Brand Message since Kakao ended FriendTalk on 2025-12-31: the compose page and
the JSON endpoints its script (static/js/friendtalk_compose.js) calls. Thin: every rule is
the accept service's (services/kakao/friendtalk_sends.py, through
services/kakao/friendtalk_compose.py); the page only draws and counts. Recipients files,
the sample file, typed numbers and the address book are the SMS page's endpoints."""
from __future__ import annotations

import uuid

from flask import jsonify, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import friendtalk
from app.security.tenancy import current_account, current_account_id
from app.services.kakao import friendtalk_compose
from app.services.shared import files
from app.views.base import PortalView
from app.views.portal.compose import SPECIAL_CHARACTERS, accepted, compose_limits, json_payload

#: read past the 5 MB limit, so the refusal can name the file's real size
IMAGE_READ_LIMIT = 10 * 1024 * 1024


def _with_url(image: dict | None) -> dict | None:
    if image is not None:
        image["url"] = url_for("FileView.download", file_id=image["image_id"])
    return image


class FriendtalkComposeView(PortalView):
    route_base = "/friendtalk"

    @expose("/")
    @has_access
    def index(self):
        account = current_account()
        blocked = friendtalk_compose.blocked_reason(account.id)
        offers = friendtalk_compose.offers(account.id) if blocked is None else {}
        return self.render_template(
            "portal/friendtalk/compose.html", account=account, blocked=blocked, compose_token=uuid.uuid4().hex,
            specials=SPECIAL_CHARACTERS, rules=friendtalk, **compose_limits(), **offers)

    @expose("/images", methods=["POST"])
    @has_access
    def image(self):
        filename, data = files.read_upload(request.files.get("image"), limit=IMAGE_READ_LIMIT)
        stored = friendtalk_compose.store_image(account_id=current_account_id(), filename=filename, data=data,
                                                wide=request.form.get("wide") == "1", now=clock.now())
        return jsonify(_with_url(stored))

    @expose("/template-content/<int:template_id>")
    @has_access
    def template_content(self, template_id):
        saved = friendtalk_compose.saved_content(current_account_id(), template_id)
        _with_url(saved["image"])
        return jsonify(saved)

    @expose("/quote", methods=["POST"])
    @has_access
    def quote(self):
        return jsonify(friendtalk_compose.quote(current_account_id(), json_payload(), clock.now()))

    @expose("/send", methods=["POST"])
    @has_access
    def send(self):
        return accepted(friendtalk_compose.send(current_account_id(), json_payload(), clock.now()),
                        "KakaoHistoryView.detail", friendtalk_compose.accepted_message)
