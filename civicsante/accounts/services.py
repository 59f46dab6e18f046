"""Account use cases: sign-up, authentication, password reset, profile, GDPR rights, roles.

Each function does one use case in the caller's transaction and writes the audit row with it;
the route commits. Refusals are ``DomainError`` with a translatable message.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from civicsante import audit
from civicsante.accounts import sessions
from civicsante.accounts.models import (
    AGE_BANDS,
    EMAIL_NOTIFICATION_MODES,
    LANGUAGES,
    ROLE_SCOPE,
    ROLES,
    SEXES,
    RoleAssignment,
    User,
    UserSession,
)
from civicsante.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.reference.models import Establishment, Territory
from civicsante.types import utcnow

PSEUDONYM_RE = re.compile(r"^[\w][\w .'\-·]{1,38}[\w.]$", re.UNICODE)  # · : inclusive writing
_RESET_SALT = "civicsante.password-reset"


def normalise_email(raw: str) -> str:
    """Validated e-mail in lower case (one account per mailbox, whatever its capitals)."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(_l("Enter a valid e-mail address, such as name@example.fr."), "email") from exc


def _pseudonym_key(pseudonym: str) -> str:
    return pseudonym.strip().casefold()


def _check_pseudonym(pseudonym: str, *, exclude_user_id: int | None = None) -> str:
    pseudonym = " ".join(pseudonym.split())
    if not PSEUDONYM_RE.match(pseudonym) or "@" in pseudonym:
        raise DomainError(
            _l("The pseudonym must be 3 to 40 letters, digits, spaces, dots, hyphens or apostrophes."),
            "pseudonym",
        )
    query = select(User.id).where(User.pseudonym_key == _pseudonym_key(pseudonym))
    if exclude_user_id:
        query = query.where(User.id != exclude_user_id)
    if db.session.execute(query).first():
        raise DomainError(_l("This pseudonym is already taken: choose another one."), "pseudonym")
    return pseudonym


def _check_password(password: str, *, email: str | None, pseudonym: str | None, field="password") -> None:
    problems = password_problems(password, email=email, pseudonym=pseudonym)
    if problems:
        raise DomainError(problems[0], field)


def sign_up(email: str, pseudonym: str, password: str, language: str = "fr") -> User:
    """Create a resident account. The pseudonym is what others see; the e-mail never is."""
    email = normalise_email(email)
    pseudonym = _check_pseudonym(pseudonym)
    _check_password(password, email=email, pseudonym=pseudonym)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise DomainError(_l("An account already uses this e-mail address. Log in or reset your password."), "email")
    user = User(
        email=email, pseudonym=pseudonym, pseudonym_key=_pseudonym_key(pseudonym),
        password_hash=hash_password(password), language=language if language in LANGUAGES else "fr",
    )
    db.session.add(user)
    db.session.flush()
    audit.record(user, "account.sign_up", user)
    return user


def authenticate(email: str, password: str) -> User:
    """The account for these credentials, or DomainError — the same one whether the e-mail is
    unknown or the password wrong, so the form does not reveal who has an account."""
    try:
        email = normalise_email(email)
    except DomainError:
        email = ""
    user = db.session.execute(
        select(User).where(User.email == email, User.deleted_at.is_(None))
    ).scalar_one_or_none() if email else None
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise DomainError(_l("E-mail address or password incorrect."), "password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def log_in(user: User, lifetime, user_agent: str | None) -> str:
    key = sessions.start_session(user, lifetime, user_agent)
    audit.record(user, "account.login", user)
    return key


def log_out(user: User) -> None:
    sessions.end_session(user.session_key)
    audit.record(user, "account.logout", user)


# Password reset -------------------------------------------------------------------------------

def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password does, which makes a used link worthless: single use.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:20]


def password_reset_token(user: User, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"u": user.id, "f": _password_fingerprint(user)})


def user_for_reset_token(token: str, secret_key: str, max_age: int) -> User:
    """The account a reset link was made for, if the link is genuine, recent and unused."""
    invalid = DomainError(_l("This link is invalid or has already been used. Ask for a new one."))
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise DomainError(_l("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise invalid from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("f") != _password_fingerprint(user):
        raise invalid
    return user


def reset_password(user: User, new_password: str) -> None:
    """Set a new password and end every session of the account (whoever had it is logged out)."""
    _check_password(new_password, email=user.email, pseudonym=user.pseudonym)
    user.password_hash = hash_password(new_password)
    sessions.end_all_sessions(user)
    audit.record(user, "account.password_reset", user)


def change_password(user: User, current: str, new_password: str) -> None:
    """Change the password; other browsers signed in to the account are logged out."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_l("Your current password is incorrect."), "current_password")
    _check_password(new_password, email=user.email, pseudonym=user.pseudonym, field="new_password")
    user.password_hash = hash_password(new_password)
    sessions.end_all_sessions(user, except_key=user.session_key)
    audit.record(user, "account.password_change", user)


# Profile --------------------------------------------------------------------------------------

def update_profile(user: User, *, pseudonym: str, home_territory_id: int | None,
                   age_band: str | None, sex: str | None, language: str, email_notifications: str) -> None:
    """Age band and sex are optional and only ever used in anonymous statistics. E-mails about
    followed needs are opt-in: never, immediately or in a weekly digest."""
    pseudonym = _check_pseudonym(pseudonym, exclude_user_id=user.id)
    if home_territory_id is not None and db.session.get(Territory, home_territory_id) is None:
        raise DomainError(_l("Choose a territory from the list."), "home_territory_id")
    if age_band and age_band not in AGE_BANDS:
        raise DomainError(_l("Choose an age band from the list."), "age_band")
    if sex and sex not in SEXES:
        raise DomainError(_l("Choose a value from the list."), "sex")
    if email_notifications not in EMAIL_NOTIFICATION_MODES:
        raise DomainError(_l("Choose a value from the list."), "email_notifications")
    user.pseudonym = pseudonym
    user.pseudonym_key = _pseudonym_key(pseudonym)
    user.home_territory_id = home_territory_id
    user.age_band = age_band or None
    user.sex = sex or None
    user.language = language if language in LANGUAGES else "fr"
    user.email_notifications = email_notifications
    audit.record(user, "account.profile_update", user)


# GDPR -----------------------------------------------------------------------------------------

# Each area registers what it holds about a person (export) and how it anonymises it (erasure),
# so "download my data" and "delete my account" stay complete as areas are added.
PersonalDataExporter = Callable[[User], dict]
PersonalDataEraser = Callable[[User], None]
_exporters: dict[str, PersonalDataExporter] = {}
_erasers: dict[str, PersonalDataEraser] = {}


def register_personal_data(area: str, exporter: PersonalDataExporter,
                           eraser: PersonalDataEraser | None = None) -> None:
    _exporters[area] = exporter
    if eraser:
        _erasers[area] = eraser


def _export_account(user: User) -> dict:
    sessions_rows = db.session.execute(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at)
    ).scalars()
    audit_rows = db.session.execute(
        select(audit.AuditEntry).where(audit.AuditEntry.actor_id == user.id).order_by(audit.AuditEntry.id)
    ).scalars()
    return {
        "email": user.email,
        "pseudonym": user.pseudonym,
        "home_territory": (
            {"code": user.home_territory.code, "name": user.home_territory.name}
            if user.home_territory else None
        ),
        "age_band": user.age_band,
        "sex": user.sex,
        "language": user.language,
        "created_at": user.created_at.isoformat(),
        "roles": [
            {
                "role": r.role,
                "territory": r.territory.name if r.territory else None,
                "establishment": r.establishment.name if r.establishment else None,
                "granted_at": r.granted_at.isoformat(),
            }
            for r in user.roles
        ],
        "sessions": [
            {"created_at": s.created_at.isoformat(), "expires_at": s.expires_at.isoformat(),
             "user_agent": s.user_agent}
            for s in sessions_rows
        ],
        "activity_log": [
            {"at": a.at.isoformat(), "action": a.action, "object": a.object_type, "ip": a.ip}
            for a in audit_rows
        ],
    }


register_personal_data("account", _export_account)


def export_personal_data(user: User) -> str:
    """All we hold about the person, as JSON (GDPR art. 15 and 20)."""
    data = {"exported_at": utcnow().isoformat(), "format": "civicsante-personal-data/1"}
    for area, exporter in _exporters.items():
        data[area] = exporter(user)
    audit.record(user, "account.data_export", user)
    return json.dumps(data, ensure_ascii=False, indent=2)


def delete_account(user: User, password: str) -> None:
    """Erase the person's data (GDPR art. 17). Public contributions stay, shown as
    "compte supprimé": the areas' erasers detach or anonymise them."""
    if not verify_password(user.password_hash, password):
        raise DomainError(_l("Your password is incorrect."), "password")
    for eraser in _erasers.values():
        eraser(user)
    audit.record(user, "account.delete", user)
    sessions.end_all_sessions(user)
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user.id))
    user.email = None
    user.pseudonym = None
    user.pseudonym_key = None
    user.password_hash = None
    user.home_territory_id = None
    user.age_band = None
    user.sex = None
    user.deleted_at = utcnow()


# Roles ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoleScope:
    territory_id: int | None = None
    establishment_id: int | None = None


def grant_role(user: User, role: str, scope: RoleScope, *, by: User) -> RoleAssignment:
    """Give ``user`` a role, with the scope the role requires (DESIGN.md §2)."""
    if role not in ROLES:
        raise DomainError(_l("Unknown role."), "role")
    if not user.is_active:
        raise DomainError(_l("This account has been deleted."))
    needed = ROLE_SCOPE[role]
    territory_id = scope.territory_id if needed == "territory" else None
    establishment_id = scope.establishment_id if needed == "establishment" else None
    if needed == "territory" and (territory_id is None or db.session.get(Territory, territory_id) is None):
        raise DomainError(_l("This role needs a territory."), "territory_id")
    if needed == "establishment" and (
        establishment_id is None or db.session.get(Establishment, establishment_id) is None
    ):
        raise DomainError(_l("This role needs an establishment."), "establishment_id")
    if any(r.role == role and r.territory_id == territory_id and r.establishment_id == establishment_id
           for r in user.roles):
        raise DomainError(_l("This person already has this role."), "role")
    assignment = RoleAssignment(
        user=user, role=role, territory_id=territory_id, establishment_id=establishment_id,
        granted_by_id=by.id,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(by, "role.grant", user, role=role, territory_id=territory_id,
                 establishment_id=establishment_id)
    return assignment


def revoke_role(assignment: RoleAssignment, *, by: User) -> None:
    if assignment.user_id == by.id and assignment.role == "admin":
        remaining = db.session.execute(
            select(func.count()).select_from(RoleAssignment).where(RoleAssignment.role == "admin")
        ).scalar_one()
        if remaining <= 1:
            raise DomainError(_l("You are the last administrator: grant the role to someone else first."))
    audit.record(by, "role.revoke", assignment.user, role=assignment.role,
                 territory_id=assignment.territory_id, establishment_id=assignment.establishment_id)
    user = assignment.user
    user.roles.remove(assignment)
    db.session.delete(assignment)
