"""Many signed-in accounts at once, without argon2: users and their server-side session rows are
bulk inserted, and a client carries the session key as a login would leave it."""
from __future__ import annotations

import secrets

from sqlalchemy import insert, select

from civicsante.accounts.models import User, UserSession
from civicsante.accounts.sessions import _hash
from civicsante.extensions import db
from civicsante.types import utcnow


def accounts_with_sessions(app, n: int, *, prefix: str = "voisin", home_territory_id: int | None = None,
                           age_bands: tuple[str | None, ...] = (None,)) -> list[str]:
    """n accounts (e-mails ``<prefix><i>@example.org``), each with a signed-in session key; the
    keys are returned in the order of the accounts' ids. ``age_bands`` are given in turn."""
    keys = [secrets.token_urlsafe(24) for _ in range(n)]
    with app.app_context():
        now = utcnow()
        db.session.execute(insert(User), [
            {"email": f"{prefix}{i}@example.org", "pseudonym": f"{prefix.capitalize()} {i}",
             "pseudonym_key": f"{prefix} {i}", "password_hash": None, "language": "fr", "created_at": now,
             "home_territory_id": home_territory_id, "age_band": age_bands[i % len(age_bands)]}
            for i in range(n)])
        ids = db.session.execute(select(User.id).where(User.email.like(f"{prefix}%@example.org"))
                                 .order_by(User.id)).scalars().all()
        db.session.execute(insert(UserSession), [
            {"key_hash": _hash(key), "user_id": uid, "created_at": now,
             "expires_at": now.replace(year=now.year + 1)} for key, uid in zip(keys, ids, strict=True)])
        db.session.commit()
    return keys


def signed_in_client(app, key: str, base_url: str = "https://localhost"):
    """A test client whose session carries ``key`` (as after logging in)."""
    client = app.test_client()
    with client.session_transaction(base_url=base_url) as session:
        session["_user_id"] = key
    return client
