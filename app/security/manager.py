"""megabird's SecurityManager: FAB's database auth plus login throttling (ACC-02,
SEC-06) with messages that never reveal whether a login exists (ACC-11)."""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, g, redirect, request
from flask import session as flask_session
from flask_appbuilder import expose
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import gettext, lazy_gettext
from flask_login import logout_user
from sqlalchemy import delete, func, select

from app import clock
from app.domain.korean import N_
from app.domain.passwords import check_password
from app.errors import ValidationError
from app.models import LoginAttempt
from app.services.accounts import login_sessions as sessions
from app.services.shared import audit
from app.views.base import GuardedActionsMixin, no_cache


def _value(value):
    if isinstance(value, (list, tuple, set)) or hasattr(value, "__iter__") and not isinstance(value, (str, bytes)):
        return sorted(str(v) for v in value)
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


class AuditedModelMixin:
    """ACC-08 for FAB's own admin views: adding, changing and deleting a user or a role
    records who, when, the before/after state of `audit_fields`, in the same commit."""

    audit_object_type = ""
    audit_fields: tuple[str, ...] = ()

    def _state(self, item) -> dict:
        return {name: _value(getattr(item, name)) for name in self.audit_fields}

    def _record(self, action: str, item, before, after) -> None:
        audit.record(actor=g.user, action=action, object_type=self.audit_object_type, object_id=item.id,
                     before=before, after=after, now=clock.now())

    def process_form(self, form, is_created):
        # FAB calls this on an edit before the form fills the item: the "before" is read
        # here (attribute history cannot be trusted: autoflushes while the form fills it)
        super().process_form(form, is_created)
        pk = (request.view_args or {}).get("pk")
        if not is_created and pk is not None:
            item = self.datamodel.get(pk, self._base_filters)
            g.audit_before = self._state(item) if item is not None else None

    def post_add(self, item):
        super().post_add(item)
        self._record(f"create_{self.audit_object_type}", item, None, self._state(item))
        self.datamodel.session.commit()

    def pre_update(self, item):
        super().pre_update(item)
        before, after = g.pop("audit_before", None), self._state(item)
        if before != after:
            self._record(f"change_{self.audit_object_type}", item, before, after)

    def pre_delete(self, item):
        super().pre_delete(item)
        self._record(f"delete_{self.audit_object_type}", item, self._state(item), None)


# FAB's security model views with their action routes guarded like ours (SEC-02) and their
# changes audited (ACC-08). Same class names, so endpoints, permissions and menus stay FAB's.
def _kst(value):
    return clock.to_kst(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


#: role -> its name in Korean, on the admin's user pages
ROLE_LABELS = {"Admin": N_("관리자"), "Operator": N_("운영자"), "Finance": N_("재무"), "Customer": N_("고객"),
               "Public": N_("비회원")}


def _roles(roles) -> str:
    return ", ".join(gettext(ROLE_LABELS[str(role)]) if str(role) in ROLE_LABELS else str(role) for role in roles or ())


class UserDBModelView(AuditedModelMixin, GuardedActionsMixin, fab_views.UserDBModelView):
    audit_object_type = "user"
    audit_fields = ("username", "email", "first_name", "last_name", "active", "roles")
    formatters_columns = {"last_login": _kst, "created_on": _kst, "changed_on": _kst, "roles": _roles}
    description_columns = {**fab_views.UserDBModelView.description_columns,
                           "groups": lazy_gettext("사용자가 속한 그룹 (그룹의 역할을 함께 받습니다)"),
                           "password": lazy_gettext("로그인에 쓸 비밀번호")}


class RoleModelView(AuditedModelMixin, GuardedActionsMixin, fab_views.RoleModelView):
    audit_object_type = "role"
    audit_fields = ("name", "permissions")
    label_columns = {**fab_views.RoleModelView.label_columns, "user": lazy_gettext("User"),
                     "groups": lazy_gettext("Groups")}


class UserGroupModelView(GuardedActionsMixin, fab_views.UserGroupModelView):
    label_columns = {"name": lazy_gettext("Name"), "label": lazy_gettext("표시 이름"), "description": lazy_gettext("설명"),
                     "users": lazy_gettext("User"), "roles": lazy_gettext("Role")}


class UserStatsChartView(fab_views.UserStatsChartView):
    """FAB's chart of logins, its columns named. FAB's chart view renames the grouped
    column after the last chart and the series after their column names ("Login Count"),
    in the class's own dict (so a second app saw the renamed labels): each instance gets
    a fresh copy, and the names go back once FAB is done."""

    LABELS = {**fab_views.UserModelView.label_columns, "login_count": lazy_gettext("로그인 횟수"),
              "fail_login_count": lazy_gettext("로그인 실패 횟수")}
    definitions = [{"label": lazy_gettext("Login count"), "group": "username", "series": ["login_count"]},
                   {"label": lazy_gettext("Failed login count"), "group": "username",
                    "series": ["fail_login_count"]}]

    def __init__(self, **kwargs):
        self.label_columns = dict(self.LABELS)
        self.definitions = [dict(d) for d in type(self).definitions]
        super().__init__(**kwargs)
        self.label_columns.update({key: self.LABELS[key] for key in ("username", "login_count", "fail_login_count")})


class PermissionModelView(GuardedActionsMixin, fab_views.PermissionModelView):
    pass


class ViewMenuModelView(GuardedActionsMixin, fab_views.ViewMenuModelView):
    pass


class PermissionViewModelView(GuardedActionsMixin, fab_views.PermissionViewModelView):
    label_columns = {**fab_views.PermissionViewModelView.label_columns, "role": lazy_gettext("Role")}


def fab_password_rules(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: FAB's own password forms (an admin adding a
    user or resetting a password) apply the same ACC-11 rules as our pages."""
    try:
        check_password(password)
    except ValidationError as exc:
        raise PasswordComplexityValidationError(exc.message) from exc


class NoSecurityApi(SecurityApi):
    """FAB's JWT login API (/api/v1/security/login) is not megabird's API: customers use
    keys (API-01). No route of it is registered."""
    include_route_methods: set[str] = set()


class MegabirdAuthDBView(AuthDBView):
    login_template = "security/login.html"
    invalid_login_message = lazy_gettext("이메일(아이디) 또는 비밀번호가 올바르지 않습니다.")
    throttled_message = lazy_gettext("로그인 시도가 너무 많습니다. 15분 후에 다시 시도해주세요.")

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                message = (self.throttled_message if g.get("login_throttled")
                           else self.invalid_login_message)
                flash(str(message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            sessions.log_in(user)
            return redirect(next_url)
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)

    @expose("/logout/", methods=["GET", "POST"])
    @no_cache
    def logout(self):
        """POST with the CSRF token (issue 13: a GET from another site logged people out);
        a GET asks in a page of its own. The session's row is revoked, so a copy of the
        cookie no longer works."""
        if request.method == "GET":
            if g.user is None or not g.user.is_authenticated:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("security/logout.html", appbuilder=self.appbuilder)
        sessions.end_current()
        self.appbuilder.sm.session.commit()
        logout_user()
        return redirect(self.appbuilder.get_url_for_login)


class MegabirdSecurityManager(SecurityManager):
    authdbview = MegabirdAuthDBView
    security_api = NoSecurityApi
    userdbmodelview = UserDBModelView
    rolemodelview = RoleModelView
    groupmodelview = UserGroupModelView
    userstatschartview = UserStatsChartView
    permissionmodelview = PermissionModelView
    viewmenumodelview = ViewMenuModelView
    permissionviewmodelview = PermissionViewModelView

    def login_failures(self, login: str, now: dt.datetime) -> int:
        window = dt.timedelta(seconds=self._config("LOGIN_FAILURE_WINDOW_SECONDS"))
        return self.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.login == login, LoginAttempt.attempted_at > now - window))

    def _config(self, key):
        return current_app.config[key]

    def auth_user_db(self, username, password):
        """Throttled per login as typed and per the user it names (issue 13: `finance` and
        `finance@…` had separate budgets), without saying whether the login exists."""
        login = (username or "").strip().lower()[:320]
        now = clock.now()
        named = (self.find_user(username=(username or "").strip()) or self.find_user(email=login)) if login else None
        keys = [login] + ([f"user:{named.id}"] if named is not None else [])
        limit = self._config("LOGIN_MAX_FAILURES")
        if login and any(self.login_failures(key, now) >= limit for key in keys):
            g.login_throttled = True
            return None
        user = super().auth_user_db(username, password)
        if user is None and login:
            for key in keys:
                self.session.add(LoginAttempt(login=key, ip=(request.remote_addr or "")[:64], attempted_at=now))
            self.session.commit()
        return user

    def reset_password(self, userid, password):
        """A changed password ends every other session of the login (issue 13)."""
        super().reset_password(userid, password)
        mine = getattr(g.get("user"), "id", None) == int(userid)
        sessions.end_all(int(userid), keep=flask_session.get(sessions.KEY) if mine else None)
        self.session.commit()

    def purge_login_attempts(self, now: dt.datetime) -> int:
        """Forget failures older than a day (registered in the tick)."""
        result = self.session.execute(
            delete(LoginAttempt).where(LoginAttempt.attempted_at < now - dt.timedelta(days=1)))
        self.session.commit()
        return result.rowcount or 0
