"""회원가입 (ACC-01) and accepting an invitation (ACC-04). Public pages."""
from __future__ import annotations

from flask import abort, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose

from app import clock
from app.domain import consents as terms
from app.errors import MegabirdError
from app.services.accounts import login_sessions as sessions
from app.services.accounts import accounts, signup
from app.views.base import no_cache

SESSION_KEY = "signup_verification_id"


class SignupView(BaseView):
    route_base = "/signup"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    @no_cache
    def index(self):
        form = request.form
        if request.method == "POST":
            try:
                pending = signup.start(name=form.get("name"), email=form.get("email"),
                                       password=form.get("password", ""),
                                       password_confirm=form.get("password_confirm", ""),
                                       phone=form.get("phone"), agreed=terms.read_form(form),
                                       now=clock.now(), client_ip=request.remote_addr)
            except MegabirdError as error:
                return self.render_template("portal/signup.html", form=form, error=error,
                                            terms=terms.TERMS), error.status
            session[SESSION_KEY] = pending.id
            flash("입력하신 휴대폰 번호로 인증번호를 보냈습니다. 3분 안에 입력해주세요.", "info")
            return redirect(url_for("SignupView.verify"))
        return self.render_template("portal/signup.html", form={}, error=None, terms=terms.TERMS)

    @expose("/terms/<kind>")
    def term_text(self, kind):
        """The text of one consent (이용약관, 개인정보 수집·이용, 마케팅 정보 수신), public."""
        if kind not in terms.BY_KIND:
            abort(404)
        return self.render_template("portal/terms_page.html", term=terms.term(kind), terms=terms.TERMS)

    @expose("/verify", methods=["GET", "POST"])
    @no_cache
    def verify(self):
        verification_id = session.get(SESSION_KEY)
        if not verification_id:
            return redirect(url_for("SignupView.index"))
        if request.method == "POST":
            try:
                user = signup.complete(verification_id=verification_id, code=request.form.get("code"),
                                       now=clock.now())
            except MegabirdError as error:
                return self.render_template("portal/signup_verify.html", error=error), error.status
            session.pop(SESSION_KEY, None)
            sessions.log_in(user)
            flash("회원가입이 완료되었습니다. megabird에 오신 것을 환영합니다!", "success")
            return redirect(url_for("DashboardView.index"))
        return self.render_template("portal/signup_verify.html", error=None)

    @expose("/resend", methods=["POST"])
    def resend(self):
        verification_id = session.get(SESSION_KEY)
        if not verification_id:
            return redirect(url_for("SignupView.index"))
        try:
            pending = signup.resend(verification_id, clock.now(), client_ip=request.remote_addr)
        except MegabirdError as error:
            return self.render_template("portal/signup_verify.html", error=error), error.status
        session[SESSION_KEY] = pending.id
        flash("인증번호를 다시 보냈습니다.", "info")
        return redirect(url_for("SignupView.verify"))


class InvitationView(BaseView):
    route_base = "/invite"
    default_view = "accept"

    @expose("/<token>", methods=["GET", "POST"])
    @no_cache
    def accept(self, token):
        invitation = accounts.find_invitation(token, clock.now())
        if request.method == "POST":
            try:
                user = accounts.accept_invitation(token=token, name=request.form.get("name"),
                                                  password=request.form.get("password", ""),
                                                  password_confirm=request.form.get("password_confirm", ""),
                                                  agreed=terms.read_form(request.form), now=clock.now())
            except MegabirdError as error:
                return self.render_template("portal/invitation.html", invitation=invitation,
                                            form=request.form, error=error, terms=terms.TERMS), error.status
            sessions.log_in(user)
            flash("가입이 완료되었습니다.", "success")
            return redirect(url_for("DashboardView.index"))
        return self.render_template("portal/invitation.html", invitation=invitation, form={}, error=None,
                                    terms=terms.TERMS)
