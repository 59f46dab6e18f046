"""The complainant's own view of their complaint (issue 6, item 5): a plain-French timeline of
the steps taken (each ``ComplaintEvent``'s public note and its date, Europe/Paris), and the next
step with the date it is expected by. Internal notes and who did what are never shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civicsante.complaints.models import (
    AWAITING_CDU,
    REPORT_FORWARDED,
    TERMINAL_STATUSES,
    Complaint,
    ComplaintEvent,
)
from civicsante.extensions import db
from civicsante.jinja import date_filter

# The next step, in the complainant's words, by ``Complaint.due_step`` (deadlines.STEPS).
NEXT_STEP_SENTENCES = {
    "first_response": _l("The establishment's director is to answer you, or refer your complaint to a "
                         "mediator, by %(date)s."),
    "meeting": _l("The mediator is to meet you by %(date)s."),
    "report": _l("The mediator is to send their report to the users' committee (CDU) by %(date)s."),
    "reply": _l("The establishment's director is to send you their reply by %(date)s."),
}
GENERIC_NEXT_STEP = _l("The next step is expected by %(date)s.")


@dataclass(frozen=True)
class Step:
    at: datetime
    note: str


@dataclass(frozen=True)
class NextStep:
    text: str
    due_on: date | None


def steps(complaint: Complaint) -> list[Step]:
    """The steps with a public note, oldest first (one indexed query)."""
    rows = db.session.execute(
        select(ComplaintEvent.at, ComplaintEvent.public_note)
        .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.public_note != "")
        .order_by(ComplaintEvent.at, ComplaintEvent.id)).all()
    return [Step(row.at, row.public_note) for row in rows]


def next_step(complaint: Complaint) -> NextStep | None:
    """What comes next and by when, or None once the complaint is closed."""
    if complaint.status in TERMINAL_STATUSES:
        return None
    if complaint.due_on is not None:
        sentence = NEXT_STEP_SENTENCES.get(complaint.due_step, GENERIC_NEXT_STEP)
        return NextStep(str(sentence % {"date": date_filter(complaint.due_on)}), complaint.due_on)
    if complaint.status in (REPORT_FORWARDED, AWAITING_CDU):
        return NextStep(str(_l("Your complaint will be examined at the next meeting of the users' "
                               "committee (CDU).")), None)
    return None
