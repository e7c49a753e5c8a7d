"""Sync roles and permissions into FAB's tables from app/security/roles.py
(`flask megabird init`; at start-up only when a role is missing, ACC-03)."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.security.roles import ACCESS, ADMIN, ROLE_RESOURCES
from app.views import MENU_LINK_RESOURCES

PUBLIC = "Public"


def _menu_grants(appbuilder) -> dict[str, set[str]]:
    """resource -> menu item names (items and their categories) it makes visible."""
    grants: dict[str, set[str]] = {}

    def resource_of(item):
        if item.baseview is not None:
            return item.baseview.class_permission_name
        return MENU_LINK_RESOURCES.get(item.name)

    for top in appbuilder.menu.get_list():
        children = [c for c in top.childs if c and c.name != "-"]
        for item in children or [top]:
            resource = resource_of(item)
            if resource:
                grants.setdefault(resource, set()).add(item.name)
                if children:
                    grants[resource].add(top.name)
    return grants


def sync_roles() -> dict[str, int]:
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    for name in (ADMIN, PUBLIC, *ROLE_RESOURCES):
        if sm.find_role(name) is None:
            sm.add_role(name)
    appbuilder.add_permissions(update_perms=True)
    all_pvs = db.session.query(sm.permissionview_model).all()
    menus = _menu_grants(appbuilder)
    summary = {}
    for role_name, resources in ROLE_RESOURCES.items():
        role = sm.find_role(role_name)
        if role_name == ADMIN:
            wanted = list(all_pvs)
        else:
            menu_names = set().union(*(menus.get(r, set()) for r in resources))
            wanted = [pv for pv in all_pvs
                      if (pv.permission.name == f"can_{ACCESS}" and pv.view_menu.name in resources)
                      or (pv.permission.name == "menu_access" and pv.view_menu.name in menu_names)]
        role.permissions = wanted
        summary[role_name] = len(wanted)
    sm.find_role(PUBLIC).permissions = []
    db.session.commit()
    return summary


def ensure_roles() -> bool:
    """At start-up (create_app): sync when one of the roles is missing, e.g. deleted by
    hand or a database migrated without `flask megabird init`. Does nothing before the
    schema exists (`flask db upgrade` starts the app too). True when it synced."""
    sm = current_app.appbuilder.sm
    wanted = {ADMIN, PUBLIC, *ROLE_RESOURCES}
    try:
        present = set(db.session.scalars(select(sm.role_model.name).where(sm.role_model.name.in_(wanted))))
        db.session.commit()
        if present == wanted:
            return False
        sync_roles()
        return True
    except SQLAlchemyError as exc:  # no schema yet, or another process syncing at the same moment
        db.session.rollback()
        logging.getLogger(__name__).debug("roles not synced at start-up: %s", exc.__class__.__name__)
        return False
