"""Notifications: the use cases of the notification centre and of the e-mails.

E-mail is opt-in (``User.email_notifications``, "aucun" by default): "immediat" people are written
to right after the action that concerns them, "hebdomadaire" people once a week. A notification
is e-mailed at most once, whoever sends at the same time (a request just after an action, the cron
command): it is claimed — ``emailed_at`` set and committed — before its e-mail leaves, and
released if the mail server refuses it, so the next run tries again.
"""
from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from civicsante import audit
from civicsante.accounts.models import User
from civicsante.accounts.services import register_personal_data
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs.models import STATUS_LABELS, Notification
from civicsante.notifications import emails, links
from civicsante.types import utcnow

NO_EMAIL, IMMEDIATE, WEEKLY = "aucun", "immediat", "hebdomadaire"
# No expiry: the link of an old e-mail must still unsubscribe in one click (RFC 8058).
UNSUBSCRIBE_SALT = "civicsante.unsubscribe"
# Older notifications stay in the centre but are no longer e-mailed: someone who turns e-mails on
# does not receive months of backlog, and a weekly run missed once is caught up by the next.
EMAIL_LOOKBACK = timedelta(days=14)


# Wording ---------------------------------------------------------------------------------------

def message_for(notification, locale: str) -> str:
    """The notification in plain words, in ``locale`` ("fr" or "en"). Kinds come from
    ``needs.services.notify_followers``: "status" {title, status, reason}, "merged" {title,
    target_id, target_title}; from ``consultations.services.post_milestone``: "milestone" {title,
    status, progress, consultation_id, priority_id}; from ``mandates.alerts`` and ``mandates.board``:
    "mandate_ending", "training_missing", "seat_vacant", "seat_interest" (worded there); from
    ``complaints.lifecycle``: "complaint" {reference, complaint_id, action} (worded in complaints.notify)."""
    detail = json.loads(notification.detail or "{}")
    title = detail.get("title") or ""
    with force_locale(locale):
        if notification.kind == "status":
            status = detail.get("status")
            text = gettext("The need “%(title)s” that you follow is now: %(status)s.",
                           title=title, status=str(STATUS_LABELS.get(status, status)))
            if detail.get("reason"):
                text += " " + gettext("Explanation: %(reason)s", reason=detail["reason"])
            return text
        if notification.kind == "merged":
            return gettext("The need “%(title)s” has been merged with “%(target)s”: your supports have "
                           "been carried over to it.", title=title, target=detail.get("target_title") or "")
        if notification.kind == "milestone":
            from civicsante.consultations.models import MILESTONE_STATUS_LABELS

            status = detail.get("status")
            return gettext("The priority “%(title)s” that you supported or voted on is moving forward: "
                           "%(status)s (%(progress)s %%).", title=title,
                           status=str(MILESTONE_STATUS_LABELS.get(status, status)),
                           progress=detail.get("progress", 0))
        if notification.kind == "complaint":  # civicsante.complaints.notify: reference and step only
            from civicsante.complaints.notify import message as complaint_message

            return complaint_message(detail)
        from civicsante.mandates.alerts import MANDATE_NOTIFICATION_KINDS, alert_message

        if notification.kind in MANDATE_NOTIFICATION_KINDS:  # alerts of the mandates area
            return alert_message(notification.kind, detail)
        return gettext("There is news about the need “%(title)s”.", title=title)


# The notification centre -----------------------------------------------------------------------

def notifications_of(user: User):
    """The person's own notifications, newest first (a query to paginate)."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def unread_count(user: User) -> int:
    """One indexed query (ix_notification_user_read): the layout runs it on every page."""
    return db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()


def mark_read(notification: Notification, user: User) -> None:
    """A person marks one of their own notifications as read — nobody else's."""
    if notification.user_id != user.id:
        raise NotAllowed(_l("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = utcnow()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person as read; answers how many were."""
    return db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


# One-click unsubscribe -------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    """The signed token of the unsubscribe link put in every e-mail: it is the proof, no login
    nor CSRF token is asked (RFC 8058 one-click)."""
    return _serializer().dumps(user_id)


def user_for_unsubscribe_token(token: str) -> User:
    """The account an unsubscribe link was made for, if the link is genuine and the account exists."""
    invalid = DomainError(_l("This unsubscribe link is not valid. You can choose which e-mails you "
                             "receive in your profile."))
    try:
        user_id = _serializer().loads(token)
    except BadSignature as exc:
        raise invalid from exc
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise invalid
    return user


def unsubscribe(user: User) -> None:
    """Stop every notification e-mail; the notification centre keeps showing them."""
    if user.email_notifications != NO_EMAIL:
        user.email_notifications = NO_EMAIL
        audit.record(user, "notifications.unsubscribe", user)


# Sending ---------------------------------------------------------------------------------------

@dataclass
class _Recipient:
    """Plain values read before the claim is committed (a commit expires ORM objects)."""

    email: str
    name: str
    language: str
    unsubscribe_url: str
    notification_ids: list[int] = field(default_factory=list)
    entries: list[emails.Entry] = field(default_factory=list)


def _pending(mode: str, now: datetime) -> list[_Recipient]:
    """Not-yet-e-mailed recent notifications of active accounts with an e-mail that chose
    ``mode``, grouped per person — one query."""
    rows = db.session.execute(
        select(Notification.id, Notification.need_id, Notification.kind, Notification.detail,
               Notification.created_at, User.id.label("user_id"), User.email, User.pseudonym,
               User.language)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.created_at > now - EMAIL_LOOKBACK,
               User.email_notifications == mode, User.deleted_at.is_(None), User.email.is_not(None))
        .order_by(User.id, Notification.created_at, Notification.id)
    ).all()
    recipients: dict[int, _Recipient] = {}
    for row in rows:
        person = recipients.get(row.user_id)
        if person is None:
            token = unsubscribe_token(row.user_id)
            person = recipients[row.user_id] = _Recipient(
                email=row.email, name=row.pseudonym or "", language=row.language,
                unsubscribe_url=links.absolute_url("notifications.unsubscribe", token=token))
        person.notification_ids.append(row.id)
        person.entries.append(emails.Entry(
            message=message_for(row, row.language),
            link=links.link_for(row),
            created_at=row.created_at))
    return list(recipients.values())


def _set_emailed(ids: list[int], value: datetime | None, *, only_unsent: bool) -> set[int]:
    statement = update(Notification).where(Notification.id.in_(ids))
    if only_unsent:
        statement = statement.where(Notification.emailed_at.is_(None))
    statement = statement.values(emailed_at=value).returning(Notification.id)
    return set(db.session.execute(statement, execution_options={"synchronize_session": False}).scalars())


def _deliver(mode: str, now: datetime) -> int:
    people = _pending(mode, now)
    ids = [i for person in people for i in person.notification_ids]
    # Claim: a concurrent run finds them e-mailed already and skips them (never twice).
    claimed = _set_emailed(ids, utcnow(), only_unsent=True) if ids else set()
    db.session.commit()
    sent = 0
    for position, person in enumerate(people):
        mine = [n for n in zip(person.notification_ids, person.entries, strict=True) if n[0] in claimed]
        if not mine:
            continue
        try:
            emails.send_notifications_email(
                person.email, name=person.name, language=person.language,
                entries=[entry for _, entry in mine], digest=mode == WEEKLY,
                unsubscribe_url=person.unsubscribe_url)
            sent += 1
        except smtplib.SMTPRecipientsRefused:
            current_app.logger.warning("notification e-mail refused by the mail server; retried next run")
            _set_emailed([i for i, _ in mine], None, only_unsent=False)
            db.session.commit()
        except OSError:  # server unreachable or failing: release this one and the rest for the next run
            current_app.logger.exception("mail server unreachable: notification e-mails postponed")
            unsent = [i for p in people[position:] for i in p.notification_ids if i in claimed]
            _set_emailed(unsent, None, only_unsent=False)
            db.session.commit()
            break
    return sent


def send_pending_immediate(now: datetime | None = None) -> int:
    """E-mail the people who chose "immediat" their notifications not yet e-mailed, one e-mail
    per person per run. Idempotent; commits. Answers the number of e-mails sent."""
    return _deliver(IMMEDIATE, now or utcnow())


def send_weekly_digest(now: datetime) -> int:
    """One e-mail per person who chose "hebdomadaire", listing their notifications not yet
    e-mailed of the EMAIL_LOOKBACK before ``now`` (cron runs it once a week). Idempotent;
    commits. Answers the number of e-mails sent."""
    return _deliver(WEEKLY, now)


def deliver_immediate() -> None:
    """Call right after committing an action that notified people, so that those who chose
    "immediat" hear of it now rather than at the next cron run. The action is done: a failure
    here is logged, never shown to the person; what was not sent stays for ``flask notify``."""
    try:
        send_pending_immediate()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("immediate notification e-mails postponed")


# GDPR ------------------------------------------------------------------------------------------

def _export(user: User) -> dict:
    rows = db.session.execute(notifications_of(user)).scalars()
    return {
        "email_notifications": user.email_notifications,
        "items": [
            {"kind": n.kind, "need_id": n.need_id, "message": message_for(n, user.language),
             "created_at": n.created_at.isoformat(),
             "read_at": n.read_at.isoformat() if n.read_at else None,
             "emailed_at": n.emailed_at.isoformat() if n.emailed_at else None}
            for n in rows
        ],
    }


def _erase(user: User) -> None:
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))


register_personal_data("notifications", _export, _erase)
