"""Who may do what with accounts and reference data. Every function refuses by default."""
from __future__ import annotations

from civicsante.accounts.models import ADMIN, User


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user) -> bool:
    return _active(user) and user.has_role(ADMIN)


def can_manage_roles(user) -> bool:
    return is_admin(user)


def can_manage_reference_data(user) -> bool:
    return is_admin(user)


def can_read_audit_log(user) -> bool:
    return is_admin(user)


def can_view_user(actor, target: User) -> bool:
    """Only admins see another person's account page (it shows the e-mail address)."""
    return is_admin(actor) or (_active(actor) and actor.id == target.id)
