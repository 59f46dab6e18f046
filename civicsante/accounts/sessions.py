"""Server-side sessions.

Flask's signed cookie cannot be revoked: a copy replayed after logout would still be valid. So the
cookie only carries a random key; the row it names is deleted at logout (or at password change), and
a replayed cookie then finds nothing.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload, lazyload

from civicsante.accounts.models import User, UserSession
from civicsante.extensions import db
from civicsante.types import utcnow


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def start_session(user: User, lifetime: timedelta, user_agent: str | None = None) -> str:
    """A new session row for ``user``; their expired ones are cleared at the same time."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.expires_at <= utcnow()))
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(
        key_hash=_hash(key), user_id=user.id, expires_at=utcnow() + lifetime,
        user_agent=(user_agent or "")[:200] or None,
    ))
    user.session_key = key
    return key


# Built once: every request of a signed-in person runs it, and building the statement and its
# cache key each time cost more than running it.
_SESSION_USER = (
    select(User)
    .join(UserSession, UserSession.user_id == User.id)
    .options(joinedload(User.home_territory), lazyload(User.roles))
    .where(UserSession.key_hash == bindparam("key_hash"), UserSession.expires_at > bindparam("now"),
           User.deleted_at.is_(None))
)


def load_session_user(key: str) -> User | None:
    """The signed-in user of this request, with their home territory (eligibility to vote, the
    needs form) in the same query; their roles are read only when the request asks (the menu of
    a page does, a ballot or a support does not): one query less on every such POST."""
    row = db.session.execute(_SESSION_USER, {"key_hash": _hash(key), "now": utcnow()}).scalar_one_or_none()
    if row is not None:
        row.session_key = key
    return row


def end_session(key: str | None) -> None:
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == _hash(key)))


def end_all_sessions(user: User, *, except_key: str | None = None) -> None:
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if except_key:
        query = query.where(UserSession.key_hash != _hash(except_key))
    db.session.execute(query)

