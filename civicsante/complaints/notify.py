"""What the lifecycle tells people (issue 6): the complainant's timeline sentences, their in-app
notification and e-mail at every step, and the CDU members' and mediators' notifications.

Notifications are of kind "complaint", detail {reference, complaint_id, action} (+ the next
step's "due_on" and "due_step" for the complainant, "for_staff" for members and mediators). Neither the notification nor the e-mail carries health details —
only the reference and the step: an e-mail may be read over a shoulder or on a shared computer.

The complainant's e-mail is not subject to the notification opt-in: being told each step is the
person's right (R1112-92 to R1112-94). It leaves once the transaction is committed (a refused
transition sends nothing); its notification is marked e-mailed so that ``flask notify`` does
not send it twice.
"""
from __future__ import annotations

import json
import smtplib
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from civicsante.extensions import db
from civicsante.jinja import date_filter, datetime_filter
from civicsante.mail import send_mail
from civicsante.needs.models import Notification

KIND = "complaint"
# The language the stored timeline sentences are written in: the complaint file is French.
TIMELINE_LOCALE = "fr"
_QUEUE = "civicsante.complaints.mail"

# What happened, as the complainant's notification says it (one per lifecycle function).
STEP_MESSAGES = {
    "acknowledge": _l("it has been received and acknowledged"),
    "answer_directly": _l("the director of the establishment has answered it"),
    "close_after_answer": _l("it is closed"),
    "refer_to_mediator": _l("it has been referred to a mediator"),
    "schedule_mediation": _l("your meeting with the mediator has been scheduled"),
    "record_meeting": _l("the mediation step has been recorded"),
    "submit_report": _l("the mediator has written their report"),
    "forward_report": _l("the mediator's report has been sent to you and to the users' committee"),
    "put_on_agenda": _l("it will be examined at a session of the users' committee"),
    "record_opinion": _l("the users' committee has given its opinion"),
    "send_reply": _l("the director has sent you their reply, with the committee's opinion attached"),
    "mark_out_of_scope": _l("it is outside the users' committee's remit; your file gives the routes of appeal"),
    "delegate_to_cdsp": _l("it has been passed on to the departmental commission for psychiatric care"),
}
STAFF_MESSAGES = {
    "refer_to_mediator": _l("Complaint %(reference)s has been referred to you as a mediator."),
    "forward_report": _l("The mediator's report on complaint %(reference)s has been forwarded to the "
                         "members of the users' committee."),
    "recuse": _l("You are invited to sit on complaint %(reference)s at the CDU session, in place of a "
                 "member who does not sit on it."),
}


# Timeline sentences -----------------------------------------------------------------------------

def day(value: date | datetime | None) -> str:
    """A date as the timeline writes it (French format, Europe/Paris)."""
    return date_filter(value)


def moment(value: datetime | None) -> str:
    return datetime_filter(value)


def in_timeline_locale():
    """Formats the stored timeline's sentences and dates in French, whatever the actor's locale:
    ``with in_timeline_locale(): note = gettext("…", date=day(now))``."""
    return force_locale(TIMELINE_LOCALE)


def join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


# Notifications ----------------------------------------------------------------------------------

def message(detail: dict) -> str:
    """A "complaint" notification in plain words, in the current locale (``message_for``)."""
    reference = detail.get("reference") or ""
    action = detail.get("action")
    if detail.get("for_staff") and action in STAFF_MESSAGES:
        return STAFF_MESSAGES[action] % {"reference": reference}
    step = STEP_MESSAGES.get(action)
    if step is None:
        text = gettext("There is news about your complaint %(reference)s.", reference=reference)
    else:
        text = gettext("Your complaint %(reference)s: %(step)s.", reference=reference, step=str(step))
    if detail.get("due_on") and detail.get("due_step"):  # the acknowledgement and every later step
        from civicsante.complaints.deadlines import step_label

        text += " " + gettext("Next step (%(step)s): expected by %(date)s.",
                              step=str(step_label(detail["due_step"])),
                              date=day(date.fromisoformat(detail["due_on"])))
    return text


def _url(endpoint: str, **values) -> str | None:
    from civicsante.notifications.links import absolute_url

    try:
        return absolute_url(endpoint, **values)
    except BuildError:  # the page is not there (yet): the notification centre instead
        return None


def link(notification) -> str:
    """Where a "complaint" notification leads: the complainant's own file; for staff, the
    complaints follow-up page (which checks the policy again)."""
    detail = json.loads(notification.detail or "{}")
    if detail.get("for_staff"):
        found = _url("complaints.complaint_file", complaint_id=detail.get("complaint_id")) or _url(
            "complaints.staff_index")
    else:
        found = _url("complaints.my_complaint", complaint_id=detail.get("complaint_id"))
    return found or _url("notifications.index")


def _detail(complaint, action: str, **extra) -> str:
    return json.dumps({"reference": complaint.reference, "complaint_id": complaint.id, "action": action, **extra},
                      ensure_ascii=False)


def tell_complainant(complaint, action: str, now: datetime) -> Notification | None:
    """The complainant's in-app notification, and their e-mail once the transaction commits;
    nothing when the complaint was registered for someone without an account."""
    person = complaint.complainant
    if person is None or not person.is_active:
        return None
    can_mail = bool(person.email)
    due = {"due_on": complaint.due_on.isoformat(), "due_step": complaint.due_step} if complaint.due_on else {}
    notification = Notification(user_id=person.id, kind=KIND, detail=_detail(complaint, action, **due),
                                created_at=now, emailed_at=now if can_mail else None)
    db.session.add(notification)
    db.session.flush()
    if can_mail:
        with force_locale(person.language or TIMELINE_LOCALE):
            subject = gettext("CivicSanté: your complaint %(reference)s", reference=complaint.reference or "")
            body = gettext(
                "Hello %(name)s,\n\n%(message)s\n\nYour file, after you log in: %(link)s\n\n"
                "For confidentiality, this e-mail says nothing more about your complaint.",
                name=person.pseudonym or "", message=message(json.loads(notification.detail)),
                link=link(notification))
        db.session.info.setdefault(_QUEUE, []).append((person.email, subject, body))
    return notification


def tell_staff(complaint, action: str, user_ids, now: datetime) -> list[Notification]:
    """In-app notifications for CDU members or mediators (e-mailed per their own choice by
    ``flask notify``)."""
    made = [Notification(user_id=uid, kind=KIND, detail=_detail(complaint, action, for_staff=True), created_at=now)
            for uid in dict.fromkeys(user_ids)]
    db.session.add_all(made)
    return made


# E-mails leave after the commit ------------------------------------------------------------------

@event.listens_for(Session, "after_commit")
def _send_queued(session) -> None:
    queued = session.info.pop(_QUEUE, None)
    for to, subject, body in queued or ():
        try:
            send_mail(to, subject, body)
        except (smtplib.SMTPException, OSError):
            # The step is done and the notification centre shows it; the e-mail is lost.
            current_app.logger.exception("complaint e-mail not sent")


@event.listens_for(Session, "after_rollback")
def _drop_queued(session) -> None:
    session.info.pop(_QUEUE, None)
