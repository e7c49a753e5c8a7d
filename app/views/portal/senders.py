"""발신정보관리 (03-senders.md, manual chapter 01): the list, registration of sender
numbers (phone verification or documents) and Kakao channels, details with the
rejection reason, re-submission and deletion; on a channel's page its Brand Message
targeting (M/N) application (KFT-02)."""
from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain.files import MAX_DOCUMENT_BYTES
from app.errors import MegabirdError
from app.security.tenancy import current_account, current_account_id
from app.services.accounts import access
from app.services.senders import kakao_channels, kakao_targeting, sender_numbers
from app.services.shared import files
from app.views.base import ON_PAGE, PortalView, page_arg

PER_PAGE = 10
NUMBER_SESSION = "sender_verification_id"
CHANNEL_SESSION = "channel_verification_id"


def _upload(name: str):
    return files.read_upload(request.files.get(name), limit=MAX_DOCUMENT_BYTES)


class SenderView(PortalView):
    route_base = "/senders"

    def _list(self, error=None, status=200):
        items = sender_numbers.list_items(current_account_id())
        page = page_arg()
        shown = items[(page - 1) * PER_PAGE: page * PER_PAGE]
        return self.render_template("portal/senders/list.html", items=shown, total=len(items), page=page,
                                    per_page=PER_PAGE, error=error), status

    @expose("/")
    @has_access
    def index(self):
        return self._list()

    @expose("/new")
    @has_access
    def new(self):
        return self.render_template("portal/senders/choose.html", account=current_account())

    # --- sender numbers --------------------------------------------------------------------------

    def _number_form(self, error=None, status=200, form=None, verifying=False):
        return self.render_template("portal/senders/number_form.html", account=current_account(),
                                    form=form or {}, error=error, verifying=verifying,
                                    note_max=sender_numbers.NOTE_MAX), status

    @expose("/numbers/new", methods=["GET", "POST"])
    @has_access
    def new_number(self):
        if request.method == "GET":
            return self._number_form()
        form = request.form
        account = current_account()
        try:
            if not account.is_corporate and form.get("method") == "phone":
                pending = sender_numbers.start_phone_verification(account_id=account.id, number=form.get("number"),
                                                           now=clock.now())
                session[NUMBER_SESSION] = pending.id
                flash("입력하신 번호로 인증번호를 보냈습니다. 3분 안에 입력해주세요.", "info")
                return self._number_form(form=form, verifying=True)
            sender_numbers.request_by_documents(
                account_id=account.id, number=form.get("number"),
                owner_type=form.get("owner_type") if account.is_corporate else None,
                telecom=_upload("telecom_certificate"), employment=_upload("employment_certificate"),
                note=form.get("note"), now=clock.now())
        except MegabirdError as error:
            return self._number_form(error, error.status, form)
        flash("발신번호 등록을 요청했습니다. 담당자 검토 후 등록이 완료됩니다 (영업일 기준 2-3일).", "success")
        return redirect(url_for("SenderView.index"))

    @expose("/numbers/verify", methods=["POST"])
    @has_access
    def verify_number(self):
        try:
            sender_numbers.confirm_phone_verification(account_id=current_account_id(),
                                               verification_id=session.get(NUMBER_SESSION),
                                               code=request.form.get("code"), now=clock.now(),
                                               owner_name=g.user.first_name)
        except MegabirdError as error:
            return self._number_form(error, error.status, request.form, verifying=True)
        session.pop(NUMBER_SESSION, None)
        flash("휴대폰 본인 확인이 완료되어 발신번호가 등록되었습니다.", "success")
        return redirect(url_for("SenderView.index"))

    @expose("/numbers/<int:sender_id>")
    @has_access
    def number(self, sender_id):
        sender = sender_numbers.get_number(current_account_id(), sender_id)
        return self.render_template("portal/senders/number_detail.html", sender=sender, account=current_account(),
                                    label=sender_numbers.number_label(sender), status_labels=sender_numbers.STATUS_LABELS,
                                    owner_types=sender_numbers.OWNER_TYPES, error=None, note_max=sender_numbers.NOTE_MAX)

    @expose("/numbers/<int:sender_id>/resubmit", methods=["POST"])
    @has_access
    def resubmit_number(self, sender_id):
        account = current_account()
        sender = sender_numbers.get_number(account.id, sender_id)
        try:
            sender_numbers.request_by_documents(
                account_id=account.id, number=sender.number,
                owner_type=request.form.get("owner_type") if account.is_corporate else None,
                telecom=_upload("telecom_certificate"), employment=_upload("employment_certificate"),
                note=request.form.get("note"), now=clock.now())
        except MegabirdError as error:
            return self.render_template("portal/senders/number_detail.html", sender=sender, account=account,
                                        label=sender_numbers.number_label(sender), status_labels=sender_numbers.STATUS_LABELS,
                                        owner_types=sender_numbers.OWNER_TYPES, error=error,
                                        note_max=sender_numbers.NOTE_MAX), error.status
        flash("발신번호 등록을 다시 요청했습니다.", "success")
        return redirect(url_for("SenderView.index"))

    def _delete(self, action):
        """Delete, or show the list with the refusal (a 404 stays a 404)."""
        try:
            action()
        except ON_PAGE as error:      # a missing row still answers 404
            return self._list(error, error.status)
        flash("발신정보를 삭제했습니다.", "info")
        return redirect(url_for("SenderView.index"))

    @expose("/numbers/<int:sender_id>/delete", methods=["POST"])
    @has_access
    def delete_number(self, sender_id):
        return self._delete(lambda: sender_numbers.delete_number(account_id=current_account_id(), sender_id=sender_id,
                                                          now=clock.now()))

    # --- Kakao channels -----------------------------------------------------------------------------

    def _channel_form(self, error=None, status=200, form=None, verifying=False):
        return self.render_template("portal/senders/channel_form.html", account=current_account(),
                                    form=form or {}, error=error, verifying=verifying,
                                    kakao_unavailable=not access.kakao_available()), status

    @expose("/channels/new", methods=["GET", "POST"])
    @has_access
    def new_channel(self):
        if request.method == "GET":
            return self._channel_form()
        try:
            pending = kakao_channels.start_channel_verification(account_id=current_account_id(),
                                                         search_id=request.form.get("search_id"),
                                                         admin_phone=request.form.get("admin_phone"),
                                                         now=clock.now())
        except MegabirdError as error:
            return self._channel_form(error, error.status, request.form)
        session[CHANNEL_SESSION] = pending.id
        flash("채널 관리자의 카카오톡으로 인증번호를 보냈습니다." if kakao_channels.token_by_kakao()
              else "채널 관리자 휴대전화번호로 인증번호를 보냈습니다.", "info")
        return self._channel_form(form=request.form, verifying=True)

    @expose("/channels/verify", methods=["POST"])
    @has_access
    def verify_channel(self):
        try:
            kakao_channels.confirm_channel(account_id=current_account_id(), verification_id=session.get(CHANNEL_SESSION),
                                    code=request.form.get("code"), now=clock.now())
        except MegabirdError as error:
            return self._channel_form(error, error.status, request.form, verifying=True)
        session.pop(CHANNEL_SESSION, None)
        flash("관리자 인증이 완료되었습니다. 담당자 승인 후 발신 채널 ID 등록이 완료됩니다.", "success")
        return redirect(url_for("SenderView.index"))

    def _channel_page(self, channel, error=None, status=200, form=None):
        return self.render_template("portal/senders/channel_detail.html", channel=channel,
                                    status_labels=sender_numbers.STATUS_LABELS,
                                    targeting=kakao_targeting.state_of(channel.account_id, channel.id),
                                    business_label=kakao_targeting.BUSINESS_LABEL,
                                    consent_label=kakao_targeting.CONSENT_LABEL,
                                    friend_count_label=kakao_targeting.FRIEND_COUNT_LABEL,
                                    error=error, form=form or {}), status

    @expose("/channels/<int:channel_id>")
    @has_access
    def channel(self, channel_id):
        return self._channel_page(kakao_channels.get_channel(current_account_id(), channel_id))

    @expose("/channels/<int:channel_id>/targeting", methods=["POST"])
    @has_access
    def apply_targeting(self, channel_id):
        channel = kakao_channels.get_channel(current_account_id(), channel_id)
        try:
            kakao_targeting.apply(account_id=channel.account_id, channel_id=channel.id,
                                  friend_count=request.form.get("friend_count"),
                                  business_document=_upload("business_document"),
                                  consent_document=_upload("consent_document"), now=clock.now())
        except ON_PAGE as error:      # a missing row still answers 404
            return self._channel_page(channel, error, error.status, request.form)
        flash("타겟팅(M/N)을 신청했습니다. 담당자 검토 후 결과를 알림으로 알려드립니다 (영업일 기준 2-3일).", "success")
        return redirect(url_for("SenderView.channel", channel_id=channel.id))

    @expose("/channels/<int:channel_id>/delete", methods=["POST"])
    @has_access
    def delete_channel(self, channel_id):
        return self._delete(lambda: kakao_channels.delete_channel(account_id=current_account_id(), channel_id=channel_id,
                                                           now=clock.now()))
