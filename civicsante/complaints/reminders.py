"""Deadline reminders of complaints (issue 6, item 3), sent by ``flask --app civicsante remind``:
the day before ("veille") and on the day ("jour") of each complaint's next deadline
(``Complaint.due_on``/``due_step``), to the person responsible for it:

- the mediation meeting (R1112-93) and the mediator's report (R1112-94): the mediator(s) the
  complaint was referred to who have not done that step yet;
- the first response, the forwarding of the report, the reply after the CDU session: the
  establishment's complaints office (its ``complaints_officer`` people) — and for the forwarding,
  which is the CDU president's (R1112-94), the president too. Once every report is in, the
  "report" step left (due at once) is that forwarding.

``DeadlineReminder``'s unique key (complaint, step, due date, recipient, moment) is the
idempotence: the row is inserted and committed before the e-mail leaves, so a second run the same
day — or a concurrent one — sends nothing twice. The e-mail holds no health detail: the
reference, the step, the due date and a link to the file, which checks who reads it.
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civicsante import audit
from civicsante.accounts.models import COMPLAINTS_OFFICER, RoleAssignment, User
from civicsante.complaints import deadlines
from civicsante.complaints.deadlines import MEETING, REPORT
from civicsante.complaints.models import TERMINAL_STATUSES, Complaint, DeadlineReminder, Referral
from civicsante.extensions import db
from civicsante.jinja import date_filter
from civicsante.mail import send_mail
from civicsante.mandates.models import ACTIVE, CDU, Instance, InstanceType, Mandate, Seat

THE_DAY_BEFORE, ON_THE_DAY = "veille", "jour"
# Steps whose deadline is the mediator's. The forwarding is *sans délai* (no due date in
# deadlines.STEPS); should a forwarding step be given one, the CDU president is told too.
MEETING_STEP, REPORT_STEP, FORWARDING_STEP = MEETING, REPORT, "forwarding"
MEDIATOR_STEPS = frozenset({MEETING_STEP, REPORT_STEP})


def step_label(step: str | None) -> str:
    return str(deadlines.step_label(step))


@dataclass(frozen=True)
class _Reminder:
    complaint_id: int
    reference: str
    step: str
    due_on: date
    recipient_id: int
    moment: str


def _mediators(complaints: list[Complaint]) -> dict[tuple[int, str], list[int]]:
    """(complaint id, step) → the mediators who still owe that step (one query)."""
    found: dict[tuple[int, str], list[int]] = {}
    ids = [c.id for c in complaints if c.due_step in MEDIATOR_STEPS]
    if not ids:
        return found
    for referral in db.session.execute(select(Referral).where(Referral.complaint_id.in_(ids))
                                       .order_by(Referral.id)).scalars():
        if referral.meeting_outcome is None:
            found.setdefault((referral.complaint_id, MEETING_STEP), []).append(referral.mediator_id)
        if referral.reported_at is None:
            found.setdefault((referral.complaint_id, REPORT_STEP), []).append(referral.mediator_id)
    return found


def _officers(establishment_ids) -> dict[int, list[int]]:
    """establishment id → its complaints office's people (one query)."""
    found: dict[int, list[int]] = {}
    for row in db.session.execute(
            select(RoleAssignment.establishment_id, RoleAssignment.user_id)
            .where(RoleAssignment.role == COMPLAINTS_OFFICER,
                   RoleAssignment.establishment_id.in_(set(establishment_ids)))
            .order_by(RoleAssignment.user_id)):
        found.setdefault(row.establishment_id, []).append(row.user_id)
    return found


def _presidents(establishment_ids) -> dict[int, list[int]]:
    """establishment id → the president(s) of its CDU holding an active mandate (one query)."""
    found: dict[int, list[int]] = {}
    if not establishment_ids:
        return found
    for row in db.session.execute(
            select(Instance.establishment_id, Mandate.user_id)
            .join(Seat, Seat.instance_id == Instance.id).join(Mandate, Mandate.seat_id == Seat.id)
            .join(InstanceType, InstanceType.id == Instance.type_id)
            .where(InstanceType.code == CDU, Instance.establishment_id.in_(set(establishment_ids)),
                   Mandate.is_president.is_(True), Mandate.status == ACTIVE)):
        found.setdefault(row.establishment_id, []).append(row.user_id)
    return found


def due_reminders(today: date) -> list[_Reminder]:
    """Every reminder due on ``today``: deadlines today ("jour") and tomorrow ("veille")."""
    complaints = list(db.session.execute(
        select(Complaint).where(Complaint.due_on.in_([today, today + timedelta(days=1)]),
                                Complaint.due_step.is_not(None), Complaint.status.not_in(TERMINAL_STATUSES))
        .order_by(Complaint.id)).scalars())
    if not complaints:
        return []
    mediators = _mediators(complaints)
    establishments = {c.establishment_id for c in complaints}
    officers = _officers(establishments)
    # Every report in, the "report" step left is its forwarding, sans délai (R1112-94): the president's.
    forwarding = {c.id for c in complaints if c.due_step == FORWARDING_STEP
                  or (c.due_step == REPORT_STEP and not mediators.get((c.id, REPORT_STEP)))}
    presidents = _presidents({c.establishment_id for c in complaints if c.id in forwarding})
    reminders = []
    for complaint in complaints:
        moment = ON_THE_DAY if complaint.due_on == today else THE_DAY_BEFORE
        recipients = []
        if complaint.due_step in MEDIATOR_STEPS:
            recipients = mediators.get((complaint.id, complaint.due_step), [])
        if not recipients:
            recipients = list(officers.get(complaint.establishment_id, []))
            if complaint.id in forwarding:
                recipients += presidents.get(complaint.establishment_id, [])
        for recipient_id in dict.fromkeys(recipients):
            reminders.append(_Reminder(complaint.id, complaint.reference or f"#{complaint.id}", complaint.due_step,
                                       complaint.due_on, recipient_id, moment))
    return reminders


def _claim(reminders: list[_Reminder]) -> list[_Reminder]:
    """Insert each reminder's row in a savepoint (a row already there fails the unique key and
    that reminder is skipped); committed before any e-mail leaves."""
    claimed = []
    for reminder in reminders:
        try:
            with db.session.begin_nested():
                db.session.add(DeadlineReminder(complaint_id=reminder.complaint_id, step=reminder.step,
                                                due_on=reminder.due_on, recipient_id=reminder.recipient_id,
                                                moment=reminder.moment))
                db.session.flush()
        except IntegrityError:
            continue
        claimed.append(reminder)
    db.session.commit()
    return claimed


def _email(claimed: list[_Reminder]) -> None:
    """One e-mail per reminder, in the recipient's language. A failed e-mail is logged; the
    deadline still shows on the dashboard."""
    from civicsante.notifications.links import absolute_url

    people = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_({r.recipient_id for r in claimed}))).scalars()}
    for reminder in claimed:
        person = people.get(reminder.recipient_id)
        if person is None or not person.is_active or not person.email:
            continue
        with force_locale(person.language):
            when = (gettext("tomorrow") if reminder.moment == THE_DAY_BEFORE else gettext("today"))
            text = render_template("complaints/staff/reminder_email.txt", name=person.pseudonym or "",
                                   reference=reminder.reference, step=step_label(reminder.step), when=when,
                                   due_on=date_filter(reminder.due_on),
                                   link=absolute_url("complaints.complaint_file", complaint_id=reminder.complaint_id))
            subject = gettext("CivicSanté: complaint %(reference)s, %(step)s due %(when)s",
                              reference=reminder.reference, step=step_label(reminder.step), when=when)
        try:
            send_mail(person.email, subject, text)
        except (smtplib.SMTPException, OSError):
            current_app.logger.exception("complaint deadline reminder not sent")


def send_deadline_reminders(today: date) -> int:
    """Send the reminders due on ``today`` that were not sent yet; answers how many. Commits."""
    claimed = _claim(due_reminders(today))
    if claimed:
        audit.record(None, "complaints.remind", None, today=today.isoformat(), sent=len(claimed))
        db.session.commit()
        _email(claimed)
    return len(claimed)
