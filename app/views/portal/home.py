from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.security.tenancy import current_account_id, is_staff


class HomeIndexView(IndexView):
    """'/' sends each kind of user to its own start page."""

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for("MegabirdAuthDBView.login"))
        if current_account_id(required=False) is not None:
            return redirect(url_for("DashboardView.index"))
        if is_staff():
            return redirect(url_for("StaffHomeView.index"))
        return self.render_template("portal/no_account.html")
