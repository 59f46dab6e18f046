"""The mandates' alerts (issue 5, item 5), sent by ``flask --app civicsante remind`` once a day:

- a mandate ends in 120, 60 or 30 days (``MANDATE_ENDING_DAYS``): to its holder and to the
  contacts of the association that proposed them. Each step is sent once; a run that missed the
  exact day sends the latest step crossed, never an earlier step after a later one;
- the basic training (*formation de base*, compulsory for any RU designated from 1 July 2016) is
  not done ``TRAINING_ALERT_MONTHS`` after the person's first RU designation: to the person and to
  the contacts of the associations of their current RU mandates, once per person;
- an RU seat has no holder today: to the contacts of the approved associations (approval valid
  today) whose territory covers the instance's, once per seat and vacancy.

Each alert is an in-app notification and an e-mail. ``AlertSent``'s unique key (kind, subject,
recipient) is the idempotence: the row is inserted — and committed — before anything is sent,
so two runs at the same time cannot both send it, and a second run the same day sends nothing.
"""
from __future__ import annotations

import json
import smtplib
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from civicsante import audit
from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.jinja import date_filter
from civicsante.mail import send_mail
from civicsante.mandates import policy
from civicsante.mandates.models import (
    ALERT_MANDATE_ENDING,
    ALERT_SEAT_VACANT,
    ALERT_TRAINING_MISSING,
    BASIC_TRAINING,
    BASIC_TRAINING_REQUIRED_FROM,
    HOLDING_STATUSES,
    MANDATE_ENDING_DAYS,
    RU_SEAT_KINDS,
    TRAINING_ALERT_MONTHS,
    AlertSent,
    AssociationContact,
    Instance,
    Mandate,
    Seat,
    Training,
)
from civicsante.mandates.vacancies import HELD_STATUSES, add_months, compute_vacancies, load_seats
from civicsante.needs.models import Notification
from civicsante.reference.models import Association
from civicsante.types import utcnow

# The notification kinds of the mandates area (Notification.kind), one per alert kind, and the
# one telling association contacts that a resident is interested in a seat (board.py).
NOTIFICATION_KINDS = {ALERT_MANDATE_ENDING: "mandate_ending", ALERT_TRAINING_MISSING: "training_missing",
                      ALERT_SEAT_VACANT: "seat_vacant"}
SEAT_INTEREST_KIND = "seat_interest"
MANDATE_NOTIFICATION_KINDS = frozenset({*NOTIFICATION_KINDS.values(), SEAT_INTEREST_KIND})


@dataclass
class _Alert:
    kind: str
    subject: str
    recipient_id: int
    detail: dict


def ending_step(days_left: int) -> int | None:
    """The latest step of ``MANDATE_ENDING_DAYS`` crossed with ``days_left`` days to go (45 → 60),
    or None when the end is further than the first step."""
    crossed = [step for step in MANDATE_ENDING_DAYS if days_left <= step]
    return min(crossed) if crossed else None


def _contacts_of(association_ids) -> dict[int, list[int]]:
    """association id → its contacts' user ids (one query)."""
    found: dict[int, list[int]] = {}
    if association_ids:
        for row in db.session.execute(select(AssociationContact.association_id, AssociationContact.user_id)
                                      .where(AssociationContact.association_id.in_(set(association_ids)))):
            found.setdefault(row.association_id, []).append(row.user_id)
    return found


def _seat_detail(seat: Seat) -> dict:
    return {"instance": seat.instance.name, "seat": seat.label or seat.kind, "seat_id": seat.id}


def mandate_ending_alerts(today: date) -> list[_Alert]:
    """Holding mandates ending within the first step, each at its latest step crossed, unless that
    step or a later one was already given to that recipient."""
    mandates = db.session.execute(
        select(Mandate).options(joinedload(Mandate.seat).joinedload(Seat.instance), joinedload(Mandate.user))
        .where(Mandate.status.in_(HOLDING_STATUSES), Mandate.ends_on >= today,
               Mandate.ends_on <= today + timedelta(days=max(MANDATE_ENDING_DAYS)))).scalars().all()
    if not mandates:
        return []
    subjects = [f"mandate:{m.id}:{step}" for m in mandates for step in MANDATE_ENDING_DAYS]
    given = {(row.subject, row.recipient_id) for row in db.session.execute(
        select(AlertSent.subject, AlertSent.recipient_id)
        .where(AlertSent.kind == ALERT_MANDATE_ENDING, AlertSent.subject.in_(subjects)))}
    contacts = _contacts_of({m.association_id for m in mandates if m.association_id})
    alerts = []
    for mandate in mandates:
        days_left = (mandate.ends_on - today).days
        step = ending_step(days_left)
        detail = {**_seat_detail(mandate.seat), "ends_on": mandate.ends_on.isoformat(), "days": days_left,
                  "step": step, "holder": mandate.user.public_name, "mandate_id": mandate.id}
        for recipient_id in [mandate.user_id, *contacts.get(mandate.association_id, [])]:
            later_or_same = [s for s in MANDATE_ENDING_DAYS if s <= step]
            if any((f"mandate:{mandate.id}:{s}", recipient_id) in given for s in later_or_same):
                continue
            alerts.append(_Alert(ALERT_MANDATE_ENDING, f"mandate:{mandate.id}:{step}", recipient_id,
                                 {**detail, "for_holder": recipient_id == mandate.user_id}))
    return alerts


def training_missing_alerts(today: date) -> list[_Alert]:
    """People holding an RU seat today whose first RU designation (on or after
    ``BASIC_TRAINING_REQUIRED_FROM``) is ``TRAINING_ALERT_MONTHS`` old or more, without a completed
    basic training."""
    designated = func.min(func.coalesce(Mandate.designation_date, Mandate.starts_on))
    current, ru_seat = aliased(Mandate), aliased(Seat)
    holds_ru = (exists().where(current.user_id == User.id, current.status.in_(HOLDING_STATUSES),
                               current.starts_on <= today, current.ends_on >= today,
                               current.seat_id.in_(select(ru_seat.id).where(ru_seat.kind.in_(RU_SEAT_KINDS))))
                .correlate(User))
    trained = exists().where(Training.user_id == User.id, Training.kind == BASIC_TRAINING,
                             Training.completed_on.is_not(None)).correlate(User)
    rows = db.session.execute(
        select(User.id, User.pseudonym, designated.label("first_designation"))
        .join(Mandate, Mandate.user_id == User.id).join(Seat, Seat.id == Mandate.seat_id)
        .where(Seat.kind.in_(RU_SEAT_KINDS), Mandate.status.in_(HELD_STATUSES), holds_ru, ~trained,
               User.deleted_at.is_(None))
        .group_by(User.id, User.pseudonym)).all()
    due = [r for r in rows if r.first_designation >= BASIC_TRAINING_REQUIRED_FROM
           and add_months(r.first_designation, TRAINING_ALERT_MONTHS) <= today]
    if not due:
        return []
    # The associations of their current RU mandates: their contacts are told too.
    associations: dict[int, set[int]] = {}
    for row in db.session.execute(
            select(Mandate.user_id, Mandate.association_id).join(Seat, Seat.id == Mandate.seat_id)
            .where(Mandate.user_id.in_([r.id for r in due]), Mandate.status.in_(HOLDING_STATUSES),
                   Mandate.association_id.is_not(None), Seat.kind.in_(RU_SEAT_KINDS))):
        associations.setdefault(row.user_id, set()).add(row.association_id)
    contacts = _contacts_of({a for ids in associations.values() for a in ids})
    alerts = []
    for row in due:
        detail = {"holder": row.pseudonym or "", "designated_on": row.first_designation.isoformat(),
                  "months": TRAINING_ALERT_MONTHS}
        recipients = [row.id] + sorted({c for a in associations.get(row.id, ()) for c in contacts.get(a, [])})
        for recipient_id in dict.fromkeys(recipients):
            alerts.append(_Alert(ALERT_TRAINING_MISSING, f"training:{row.id}", recipient_id,
                                 {**detail, "for_holder": recipient_id == row.id}))
    return alerts


def seat_vacant_alerts(today: date) -> list[_Alert]:
    """RU seats without a holder today, to the contacts of the associations approved today whose
    territory covers the instance's. The subject names the day the vacancy began (the day after
    the last holder left, or the instance's creation for a seat never held), so a seat filled
    and vacated again is announced again."""
    vacancies = load_seats([v for v in compute_vacancies(today, horizon_months=0, kinds=RU_SEAT_KINDS)
                            if v.vacant_now])
    if not vacancies:
        return []
    associations = db.session.execute(
        select(Association).options(joinedload(Association.territory))
        .where(Association.approval_expires_on >= today)).scalars().all()
    contacts = _contacts_of({a.id for a in associations})
    alerts = []
    for vacancy in vacancies:
        instance: Instance = vacancy.seat.instance
        began = vacancy.vacant_since or instance.created_at.date()
        recipients = sorted({c for a in associations if policy.association_covers(a, instance.territory)
                             for c in contacts.get(a.id, [])})
        detail = {**_seat_detail(vacancy.seat), "since": vacancy.vacant_since.isoformat()
                  if vacancy.vacant_since else None, "territory": instance.territory.name}
        for recipient_id in recipients:
            alerts.append(_Alert(ALERT_SEAT_VACANT, f"seat:{vacancy.seat_id}:{began.isoformat()}",
                                 recipient_id, detail))
    return alerts


def _claim(alerts: list[_Alert]) -> list[tuple[_Alert, int]]:
    """Insert each alert's ``AlertSent`` row and its notification, each in a savepoint: a row
    already there (this run's earlier day, or a concurrent run) fails the unique key and that
    alert is skipped. Committed before any e-mail leaves. Answers (alert, notification id)."""
    claimed = []
    for alert in alerts:
        try:
            with db.session.begin_nested():
                db.session.add(AlertSent(kind=alert.kind, subject=alert.subject, recipient_id=alert.recipient_id))
                notification = Notification(user_id=alert.recipient_id, kind=NOTIFICATION_KINDS[alert.kind],
                                            detail=json.dumps(alert.detail, ensure_ascii=False))
                db.session.add(notification)
                db.session.flush()
        except IntegrityError:
            continue
        claimed.append((alert, notification.id))
    db.session.commit()
    return claimed


def _email(claimed: list[tuple[_Alert, int]]) -> None:
    """One e-mail per alert, in the recipient's language. An e-mail that fails leaves the
    notification un-e-mailed: the notification centre shows it, and ``flask notify`` e-mails it to
    the people who chose e-mails."""
    from civicsante.notifications.links import absolute_url

    people = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_({a.recipient_id for a, _ in claimed}))).scalars()}
    notifications = {n.id: n for n in db.session.execute(
        select(Notification).where(Notification.id.in_([i for _, i in claimed]))).scalars()}
    emailed: list[tuple[_Alert, int]] = []
    for alert, notification_id in claimed:
        person = people.get(alert.recipient_id)
        if person is None or not person.is_active or not person.email:
            continue
        notification = notifications[notification_id]
        with force_locale(person.language):
            text = render_template("mandates/alerts/email.txt", name=person.pseudonym or "",
                                   message=alert_message(notification.kind, alert.detail),
                                   link=alert_link(notification),
                                   centre_url=absolute_url("notifications.index"))
            subject = gettext("CivicSanté: %(what)s", what=alert_title(alert.kind))
        try:
            send_mail(person.email, subject, text)
        except (smtplib.SMTPException, OSError):
            current_app.logger.exception("mandate alert e-mail not sent; the notification stays for flask notify")
            continue
        emailed.append((alert, notification_id))
    if emailed:
        now = utcnow()
        db.session.execute(update(Notification).where(Notification.id.in_([i for _, i in emailed]))
                           .values(emailed_at=now).execution_options(synchronize_session=False))
        for alert, _ in emailed:
            db.session.execute(update(AlertSent).where(
                AlertSent.kind == alert.kind, AlertSent.subject == alert.subject,
                AlertSent.recipient_id == alert.recipient_id).values(emailed=True))
        db.session.commit()


def send_alerts(today: date) -> Counter:
    """Give every alert due on ``today`` that was not given yet; answers how many were sent per
    alert kind (an alert is one recipient told once). Commits."""
    alerts = mandate_ending_alerts(today) + training_missing_alerts(today) + seat_vacant_alerts(today)
    claimed = _claim(alerts)
    counts = Counter({kind: 0 for kind in NOTIFICATION_KINDS})
    counts.update(alert.kind for alert, _ in claimed)
    if claimed:
        audit.record(None, "mandates.remind", None, today=today.isoformat(), **dict(counts))
        db.session.commit()
        _email(claimed)
    return counts


# Wording -------------------------------------------------------------------------------------

def alert_title(kind: str) -> str:
    """The e-mail subject's topic, in the current locale."""
    return {ALERT_MANDATE_ENDING: gettext("a mandate ends soon"),
            ALERT_TRAINING_MISSING: gettext("basic training not done"),
            ALERT_SEAT_VACANT: gettext("a seat has no holder")}[kind]


def _day(value: str | None) -> str:
    return date_filter(date.fromisoformat(value)) if value else ""


def alert_message(kind: str, detail: dict) -> str:
    """A mandates notification in plain words, in the current locale (``message_for`` calls it)."""
    instance, seat = detail.get("instance", ""), detail.get("seat", "")
    if kind == "mandate_ending":
        if detail.get("for_holder"):
            return gettext("Your mandate (%(seat)s, %(instance)s) ends on %(date)s, in %(days)s days. "
                           "Talk to your association about a renewal.", seat=seat, instance=instance,
                           date=_day(detail.get("ends_on")), days=detail.get("days", ""))
        return gettext("The mandate of %(holder)s (%(seat)s, %(instance)s) ends on %(date)s, in %(days)s days.",
                       holder=detail.get("holder", ""), seat=seat, instance=instance,
                       date=_day(detail.get("ends_on")), days=detail.get("days", ""))
    if kind == "training_missing":
        if detail.get("for_holder"):
            return gettext("You were designated on %(date)s and your basic training (2 days) is not "
                           "recorded yet: it is compulsory for user representatives.",
                           date=_day(detail.get("designated_on")))
        return gettext("%(holder)s was designated on %(date)s and has not done the basic training yet.",
                       holder=detail.get("holder", ""), date=_day(detail.get("designated_on")))
    if kind == "seat_vacant":
        if detail.get("since"):
            return gettext("The seat %(seat)s of %(instance)s (%(territory)s) has had no holder since %(date)s.",
                           seat=seat, instance=instance, territory=detail.get("territory", ""),
                           date=_day(detail["since"]))
        return gettext("The seat %(seat)s of %(instance)s (%(territory)s) has no holder.",
                       seat=seat, instance=instance, territory=detail.get("territory", ""))
    if kind == SEAT_INTEREST_KIND:
        return gettext("%(person)s is interested in the vacant seat %(seat)s of %(instance)s.",
                       person=detail.get("person", ""), seat=seat, instance=instance)
    return gettext("There is news about your mandates.")


def alert_link(notification) -> str:
    """Where a mandates notification leads (``links.link_for`` calls it)."""
    from civicsante.notifications.links import absolute_url

    detail = json.loads(notification.detail or "{}")
    if notification.kind == SEAT_INTEREST_KIND:
        return absolute_url("mandates.interests")
    if notification.kind == "seat_vacant":
        return absolute_url("mandates.board")
    if detail.get("for_holder"):
        return absolute_url("mandates.desk")
    return absolute_url("mandates.my_associations")
