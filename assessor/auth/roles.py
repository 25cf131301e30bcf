"""Roles with a scope: who a board user is, and which organisation's pages they act on.

`viewer` and `editor` belong to one organisation; a viewer may belong to none (a national
view, e.g. NHS England's analysts); `admin` belongs to none and acts on all. What each may
do with an organisation's page is decided here, once, for every view that asks.
"""

from __future__ import annotations

from typing import Any

from assessor.models.auth import ROLES

VIEWER, EDITOR, ADMIN = ROLES


def scope_problem(role: str, org_code: str | None) -> str | None:
    """Why this role cannot have this organisation (None: it can)."""
    if role not in ROLES:
        return f"role must be one of {', '.join(ROLES)}, not {role!r}"
    if role == ADMIN and org_code:
        return "an admin acts on every organisation, so it belongs to none (leave out --org)"
    if role == EDITOR and not org_code:
        return "an editor needs the organisation whose plans they edit (--org CODE)"
    return None


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == ADMIN


def is_own(user: Any, org_code: str) -> bool:
    """Whether `user` belongs to this organisation (admins belong to none)."""
    return bool(getattr(user, "is_authenticated", False)) and user.org_code == org_code


def may_edit_plan(user: Any, org_code: str) -> bool:
    """Admins edit every plan; editors only their own organisation's."""
    return is_admin(user) or (is_own(user, org_code) and user.role == EDITOR)


def may_read_free_text(user: Any, org_code: str) -> bool:
    """Free text is read by admins and the organisation's own users; national viewers and
    other organisations' users read none."""
    return is_admin(user) or is_own(user, org_code)


def describe(user: Any) -> str:
    """`viewer of A01`, `national viewer`, `admin`: for pages, logs and the CLI."""
    if user.role == ADMIN:
        return ADMIN
    return f"{user.role} of {user.org_code}" if user.org_code else f"national {user.role}"
