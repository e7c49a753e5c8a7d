"""Base classes for our views: one coarse permission per view (`can_access` on its
resource), Korean error handling for service errors, and small helpers."""
from __future__ import annotations

import functools
import inspect

from flask import flash, make_response, redirect, request
from flask_appbuilder import BaseView, ModelView

from app.errors import MegabirdError
from app.security.roles import ACCESS, PORTAL


def no_cache(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response
    return wrapper


def _coarse_permissions(cls) -> dict[str, str]:
    names = {}
    for attr, func in inspect.getmembers(cls, predicate=inspect.isfunction):
        if hasattr(func, "_permission_name") or hasattr(func, "_action"):
            names[attr] = ACCESS
    return names


class CoarsePermissionMixin:
    """Every exposed method and action of the view needs `can_access` on
    `class_permission_name` (roles are composed of resources: app/security/roles.py)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.method_permission_name = _coarse_permissions(cls)


class PortalView(CoarsePermissionMixin, BaseView):
    """A customer page. Handlers act for `current_account_id()` only."""

    class_permission_name = PORTAL
    default_view = "index"


class StaffView(CoarsePermissionMixin, BaseView):
    default_view = "index"


class StaffModelView(CoarsePermissionMixin, ModelView):
    page_size = 25


def form_errors_flash(error: MegabirdError) -> None:
    flash(error.message, "danger")


def redirect_back(default: str):
    return redirect(request.referrer or default)
