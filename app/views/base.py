"""Base classes for our views: one coarse permission per view (`can_access` on its
resource), Korean error handling for service errors, and small helpers."""
from __future__ import annotations

import functools
import inspect

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose
from flask_login import current_user

from app.errors import Conflict, Forbidden, MegabirdError, TooManyRequests, ValidationError
from app.security.roles import ACCESS, PORTAL
from app.security.tenancy import current_account_id

#: refusals a form page shows next to the form; NotFound is not among them (the 404 page)
ON_PAGE = (ValidationError, Conflict, Forbidden, TooManyRequests)

MAX_PAGE = 1_000_000


def page_arg(name: str = "page") -> int:
    """A list's page number from the query string: 1 when missing or not a plain
    positive number (², 1e3, a 20-digit number), never a 500."""
    value = request.args.get(name, "1")
    if not (value.isascii() and value.isdigit()) or not 0 < len(value) <= 7:
        return 1
    return min(max(int(value), 1), MAX_PAGE)


def no_cache(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response
    return wrapper


def _coarse_permissions(cls) -> dict[str, str]:
    names = {}
    excluded = set(getattr(cls, "exclude_route_methods", None) or ())
    for attr, func in inspect.getmembers(cls, predicate=inspect.isfunction):
        if attr in excluded:
            continue
        if hasattr(func, "_permission_name") or hasattr(func, "_action"):
            names[attr] = ACCESS
    return names


class CoarsePermissionMixin:
    """Every exposed method and action of the view needs `can_access` on
    `class_permission_name` (roles are composed of resources: app/security/roles.py)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.method_permission_name = _coarse_permissions(cls)


def _require_account():
    """Every customer route acts for an account: a staff login (an admin has every
    permission, but no account) gets 403; anonymous visitors are left to has_access,
    which sends them to the login page."""
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        current_account_id()


class PortalView(CoarsePermissionMixin, BaseView):
    """A customer page. Handlers act for `current_account_id()` only."""

    class_permission_name = PORTAL
    default_view = "index"

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        blueprint.before_request(_require_account)
        return blueprint


class StaffView(CoarsePermissionMixin, BaseView):
    default_view = "index"


class GuardedActionsMixin:
    """FAB's action routes (`/action/<name>/<pk>`, `/action_post`) check permissions on
    their own: a refused user, even an anonymous one, gets a redirect to ".", and an
    unknown action name a 500. Here they answer like every other route (SEC-02): the
    login page for anonymous visitors, 403 without the permission, 404 for an unknown
    action. Used by our model views and by FAB's security views (app/security/manager.py)."""

    def _refuse_action(self, name):
        sm = self.appbuilder.sm
        if not current_user.is_authenticated:
            return redirect(url_for(f"{sm.auth_view.__class__.__name__}.login", next=request.url))
        known = bool(name) and name in self.actions
        permission = (self.get_action_permission_name(name) if known
                      else f"can_{self.get_method_permission('list')}")
        if not sm.has_access(permission, self.class_permission_name):
            abort(403)
        if not known:
            abort(404)
        return None

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        return self._refuse_action(name) or super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        return self._refuse_action(request.form.get("action")) or super().action_post()


class StaffModelView(GuardedActionsMixin, CoarsePermissionMixin, ModelView):
    """FAB 5 has no can_add/can_edit/can_delete switches: with one coarse permission
    every builtin route would be open to whoever may list (an operator could add rows
    to the audit log or edit an account's balance). Here a flag set to False removes
    the route (ACC-08); FAB's file-column `download` is never used and never routed."""

    page_size = 25
    can_add = True
    can_edit = True
    can_delete = True

    def __init_subclass__(cls, **kwargs):
        cls.exclude_route_methods = {"download"} | {
            method for method, allowed in (("add", cls.can_add), ("edit", cls.can_edit),
                                           ("delete", cls.can_delete)) if not allowed}
        super().__init_subclass__(**kwargs)

    def show_item_page(self, pk, **extra):
        """FAB's show page plus the row itself (`item`) for custom show templates; the
        row is loaded with the view's base filters (404 when they exclude it)."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=self._show(pk),
                                    related_views=self._related_views, item=item, **extra)


def flash_outcome(action, done: str, then: str, **values):
    """Run a staff action; flash its Korean refusal or `done`; redirect to `then`."""
    try:
        action()
    except MegabirdError as error:
        flash(error.message, "danger")
    else:
        flash(done, "success")
    return redirect(url_for(then, **values))


def redirect_back(default: str):
    return redirect(request.referrer or default)
