"""Who may do what with needs. Every function refuses by default."""
from __future__ import annotations

from datetime import timedelta

from civicsante.accounts.models import FACILITATOR
from civicsante.needs.models import Comment, Need
from civicsante.types import utcnow

COMMENT_EDIT_WINDOW = timedelta(minutes=15)


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def facilitated_territory_paths(user) -> list[str]:
    """Paths of the territories ``user`` facilitates (their scope includes every sub-territory)."""
    if not _active(user):
        return []
    return [r.territory.path for r in user.roles if r.role == FACILITATOR and r.territory is not None]


def can_moderate_territory(user, territory) -> bool:
    return any(territory.path.startswith(path) for path in facilitated_territory_paths(user))


def can_moderate(user, need: Need) -> bool:
    """A facilitator moderates the needs of their territory and of the territories inside it."""
    return can_moderate_territory(user, need.territory)


def can_view(user, need: Need) -> bool:
    """Hidden needs stay readable by their author and the moderators (with the reason shown)."""
    if not need.hidden:
        return True
    return _active(user) and (need.author_id == user.id or can_moderate(user, need))


def can_contribute(user) -> bool:
    """Submit, support, comment, follow, report: any signed-in resident."""
    return _active(user)


def can_edit_comment(user, comment: Comment) -> bool:
    return (_active(user) and comment.author_id == user.id and comment.deleted_at is None
            and utcnow() - comment.created_at <= COMMENT_EDIT_WINDOW)


def can_delete_comment(user, comment: Comment) -> bool:
    return _active(user) and comment.author_id == user.id and comment.deleted_at is None
