"""비밀번호 찾기 (issue 13): ask for a reset link, then set a new password. Public pages."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose

from app import clock
from app.errors import MegabirdError
from app.services.accounts import password_reset
from app.views.base import no_cache


class PasswordResetView(BaseView):
    route_base = "/password"
    default_view = "forgot"

    @expose("/forgot", methods=["GET", "POST"])
    @no_cache
    def forgot(self):
        if request.method == "POST":
            try:
                message = password_reset.request(request.form.get("login"), now=clock.now(),
                                                 client_ip=request.remote_addr)
            except MegabirdError as error:
                return self.render_template("security/forgot.html", error=error, form=request.form), error.status
            flash(message, "info")
            return redirect(url_for("MegabirdAuthDBView.login"))
        return self.render_template("security/forgot.html", error=None, form={})

    @expose("/reset/<token>", methods=["GET", "POST"])
    @no_cache
    def reset(self, token):
        try:
            if request.method == "POST":
                password_reset.reset(token, new=request.form.get("new", ""), confirm=request.form.get("confirm", ""),
                                     now=clock.now())
                flash("비밀번호를 바꿨습니다. 새 비밀번호로 로그인해주세요.", "success")
                return redirect(url_for("MegabirdAuthDBView.login"))
            password_reset.check_link(token, clock.now())
        except MegabirdError as error:
            return self.render_template("security/reset.html", error=error, token=token,
                                        expired=error.code == "reset_link_invalid"), error.status
        return self.render_template("security/reset.html", error=None, token=token, expired=False)
