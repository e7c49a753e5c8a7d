"""마이페이지: account information, logins and invitations (ACC-04), password (ACC-11),
기업전환 (ACC-05), 기업정보 (ACC-12), API 사용 신청 (ACC-06), the consents (ACC-01: marketing
can be changed) and 잔액 부족 알림."""
from __future__ import annotations

from flask import session, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import business
from app.domain import consents as terms
from app.domain.brn import format_brn
from app.domain.files import MAX_DOCUMENT_BYTES
from app.errors import MegabirdError
from app.services.accounts import login_sessions as sessions
from app.security.tenancy import current_account, current_account_id
from app.services.accounts import accounts, api_keys, company_changes, consents
from app.services.shared import files
from app.services.wallet import low_balance
from app.views.base import PortalView


class MyPageView(PortalView):
    route_base = "/mypage"

    def _render_info(self, error=None, status=200):
        account = current_account()
        me = accounts.membership(g.user.id)
        return self.render_template(
            "portal/mypage.html", account=account, me=me, members=accounts.members(account.id),
            invitations=accounts.pending_invitations(account.id, clock.now()), error=error,
            terms=terms.TERMS, consents=consents.current(g.user.id), alert=low_balance.setting(account.id)), status

    @expose("/")
    @has_access
    def index(self):
        return self._render_info()

    @expose("/password", methods=["POST"])
    @has_access
    def password(self):
        try:
            accounts.change_password(user=g.user, current=request.form.get("current", ""),
                                     new=request.form.get("new", ""), confirm=request.form.get("confirm", ""),
                                     keep_session=session.get(sessions.KEY))
        except MegabirdError as error:
            return self._render_info(error, error.status)
        flash("비밀번호를 변경했습니다.", "success")
        return redirect(url_for("MyPageView.index"))

    @expose("/settings", methods=["POST"])
    @has_access
    def settings(self):
        try:
            accounts.update_sending_settings(account_id=current_account_id(),
                                             duplicate_protection=request.form.get("duplicate_protection") == "1",
                                             optout_number=request.form.get("optout_number"))
        except MegabirdError as error:
            return self._render_info(error, error.status)
        flash("발송 설정을 저장했습니다.", "success")
        return redirect(url_for("MyPageView.index"))

    @expose("/marketing", methods=["POST"])
    @has_access
    def marketing(self):
        """마케팅 정보 수신 동의 changed; the result and its date are shown (정보통신망법 §50)."""
        try:
            choice = consents.set_marketing(user_id=g.user.id, choice=request.form.get("marketing"),
                                            now=clock.now())
        except MegabirdError as error:
            return self._render_info(error, error.status)
        flash(f"마케팅 정보 수신 {'동의' if choice.agreed else '거부'} 처리되었습니다 "
              f"(전송자: megabird, 처리 일시: {clock.to_kst(choice.recorded_at):%Y년 %m월 %d일 %H:%M}).", "success")
        return redirect(url_for("MyPageView.index"))

    @expose("/low-balance", methods=["POST"])
    @has_access
    def low_balance_alert(self):
        form = request.form
        try:
            setting = low_balance.configure(account_id=current_account_id(), enabled=form.get("enabled") == "1",
                                            threshold=form.get("threshold"), by_sms=form.get("by_sms") == "1",
                                            by_email=form.get("by_email") == "1", now=clock.now())
        except MegabirdError as error:
            return self._render_info(error, error.status)
        flash(f"잔액 부족 알림을 켰습니다: 잔액이 {setting.threshold:,}원보다 적어지면 알려드립니다."
              if setting.enabled else "잔액 부족 알림을 껐습니다.", "success")
        return redirect(url_for("MyPageView.index"))

    @expose("/invite", methods=["POST"])
    @has_access
    def invite(self):
        try:
            accounts.invite(account_id=current_account_id(), inviter=g.user,
                            email=request.form.get("email"), now=clock.now())
        except MegabirdError as error:
            return self._render_info(error, error.status)
        flash("초대 메일을 보냈습니다.", "success")
        return redirect(url_for("MyPageView.index"))

    @expose("/invitations/<int:invitation_id>/cancel", methods=["POST"])
    @has_access
    def cancel_invitation(self, invitation_id):
        accounts.cancel_invitation(account_id=current_account_id(), invitation_id=invitation_id,
                                   now=clock.now())
        flash("초대를 취소했습니다.", "info")
        return redirect(url_for("MyPageView.index"))

    @expose("/conversion", methods=["GET", "POST"])
    @has_access
    def conversion(self):
        account = current_account()
        error = None
        status = 200
        if request.method == "POST":
            certificate = files.read_upload(request.files.get("certificate"), limit=10 * 1024 * 1024)
            try:
                accounts.apply_conversion(account_id=account.id, form=request.form,
                                          certificate=certificate, now=clock.now())
                flash("기업전환을 신청했습니다. 담당자 검토 후 결과를 알려드립니다 (영업일 기준 2-3일).", "success")
                return redirect(url_for("MyPageView.conversion"))
            except MegabirdError as exc:
                error, status = exc, exc.status
        return self.render_template("portal/conversion.html", account=account,
                                    latest=accounts.pending_conversion(account.id),
                                    form=request.form if error else {}, error=error), status

    @expose("/company", methods=["GET", "POST"])
    @has_access
    def company(self):
        """기업정보 (ACC-12): the 사업자 등록 정보 in force (read-only), the latest change
        request's state (with a rejection's reason), and a change request with a new
        사업자등록증 while none waits. Individual accounts are pointed to 기업전환."""
        account = current_account()
        error = None
        status = 200
        if request.method == "POST":
            certificate = files.read_upload(request.files.get("certificate"), limit=MAX_DOCUMENT_BYTES)
            try:
                company_changes.request_change(account_id=account.id, form=request.form, certificate=certificate,
                                               now=clock.now())
                flash("기업정보 변경을 신청했습니다. 담당자가 새 사업자등록증을 확인한 뒤 결과를 알려드립니다. "
                      "승인 전까지는 지금 정보가 그대로 쓰입니다.", "success")
                return redirect(url_for("MyPageView.company"))
            except MegabirdError as exc:
                error, status = exc, exc.status
        current = company_changes.registration_of(account)
        form = request.form if error else {**current, "brn": format_brn(current["brn"])}
        return self.render_template("portal/company.html", account=account, current=current,
                                    fields=business.REGISTRATION_FIELDS,
                                    latest=company_changes.latest_request(account.id), form=form,
                                    error=error), status

    @expose("/api", methods=["GET", "POST"])
    @has_access
    def api_use(self):
        account = current_account()
        error = None
        status = 200
        if request.method == "POST":
            try:
                accounts.apply_api_use(account_id=account.id, purpose=request.form.get("purpose"),
                                       server_ips=request.form.get("server_ips"), now=clock.now())
                flash("API 사용을 신청했습니다. 담당자 검토 후 결과를 알려드립니다.", "success")
                return redirect(url_for("MyPageView.api_use"))
            except MegabirdError as exc:
                error, status = exc, exc.status
        return self._api_page(account, error, status, form=request.form if error else {})

    def _api_page(self, account, error=None, status=200, form=None, new_key=None):
        return self.render_template("portal/api_use.html", account=account,
                                    latest=accounts.latest_api_application(account.id),
                                    keys=api_keys.keys_of(account.id) if account.api_status == "approved" else [],
                                    form=form or {}, error=error, new_key=new_key), status

    @expose("/api/keys", methods=["POST"])
    @has_access
    def create_api_key(self):
        """API-01: a named key, optionally for listed IPs, shown once."""
        account = current_account()
        try:
            _key, plaintext = api_keys.create(account_id=account.id, name=request.form.get("name"), now=clock.now(),
                                              actor=g.user, ip_allowlist=request.form.get("ip_allowlist"))
        except MegabirdError as error:
            return self._api_page(account, error, error.status, form=request.form)
        return self._api_page(account, new_key=plaintext)

    @expose("/api/keys/<int:key_id>/revoke", methods=["POST"])
    @has_access
    def revoke_api_key(self, key_id):
        api_keys.revoke(account_id=current_account_id(), key_id=key_id, now=clock.now())
        flash("API 키를 폐기했습니다. 이 키로는 더 이상 호출할 수 없습니다.", "info")
        return redirect(url_for("MyPageView.api_use"))
