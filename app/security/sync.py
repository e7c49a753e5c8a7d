"""Sync roles and permissions into FAB's tables from app/security/roles.py
(`flask megabird init`; never at every boot)."""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.security.roles import ACCESS, ADMIN, ROLE_RESOURCES

PUBLIC = "Public"


def _menu_grants(appbuilder) -> dict[str, set[str]]:
    """resource -> menu item names (items and their categories) it makes visible."""
    from app.views import MENU_LINK_RESOURCES
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
