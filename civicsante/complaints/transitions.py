"""The state machine of a complaint (DESIGN.md §5) and what every transition does the same way:
the status check, the timeline step, the deadline kept on the complaint, the audit row. The
services themselves are in ``lifecycle`` (receipt, first response, CDU, out of scope) and
``mediation`` (R1112-92 to R1112-94); callers use ``lifecycle``, which exposes them all.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civicsante import audit
from civicsante.complaints import notify
from civicsante.complaints.models import (
    ACKNOWLEDGED,
    ANSWERED,
    AWAITING_CDU,
    CLOSED,
    DELEGATED_CDSP,
    IMPOSSIBLE,
    MEETING_DUE,
    MET,
    OPINION,
    OUT_OF_SCOPE,
    RECEIVED,
    REFERRED,
    REFUSED,
    REPLY_DUE,
    REPORT_DUE,
    REPORT_FORWARDED,
    STATUS_LABELS,
    STATUSES,
    TERMINAL_STATUSES,
    Complaint,
    ComplaintEvent,
    Referral,
)
from civicsante.errors import DomainError
from civicsante.extensions import db



class InvalidTransition(DomainError):
    """The complaint's status does not allow this step (the route answers with the message)."""


# The state machine: status → the statuses it may move to.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    RECEIVED: {ACKNOWLEDGED, OUT_OF_SCOPE, DELEGATED_CDSP},
    ACKNOWLEDGED: {ANSWERED, REFERRED, OUT_OF_SCOPE, DELEGATED_CDSP},
    ANSWERED: {REFERRED, CLOSED, OUT_OF_SCOPE},
    REFERRED: {MEETING_DUE, MET, REFUSED, IMPOSSIBLE},
    MEETING_DUE: {MET, REFUSED, IMPOSSIBLE},
    MET: {REPORT_DUE}, REFUSED: {REPORT_DUE}, IMPOSSIBLE: {REPORT_DUE},
    REPORT_DUE: {REPORT_FORWARDED},
    REPORT_FORWARDED: {AWAITING_CDU},
    AWAITING_CDU: {OPINION},
    OPINION: {REPLY_DUE},
    REPLY_DUE: {CLOSED},
    CLOSED: set(), OUT_OF_SCOPE: set(), DELEGATED_CDSP: set(),
}
OPEN = frozenset(STATUSES) - TERMINAL_STATUSES
# Each service → the statuses it may be called in (met/refused/impossible are never at rest:
# record_meeting moves on to report_due at once).
ACTIONS: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({RECEIVED}),
    "qualify": OPEN,
    "answer_directly": frozenset({ACKNOWLEDGED}),
    "close_after_answer": frozenset({ANSWERED}),
    "refer_to_mediator": frozenset({ACKNOWLEDGED, ANSWERED}),
    "schedule_mediation": frozenset({REFERRED, MEETING_DUE}),
    "record_meeting": frozenset({REFERRED, MEETING_DUE}),
    # With two referrals, one mediator may report while the other's meeting is still due.
    "submit_report": frozenset({REFERRED, MEETING_DUE, REPORT_DUE}),
    "forward_report": frozenset({REPORT_DUE}),
    "put_on_agenda": frozenset({REPORT_FORWARDED}),
    "record_opinion": frozenset({AWAITING_CDU}),
    "send_reply": frozenset({REPLY_DUE}),
    "mark_out_of_scope": frozenset({RECEIVED, ACKNOWLEDGED, ANSWERED}),
    "delegate_to_cdsp": frozenset({RECEIVED, ACKNOWLEDGED}),
}

# R1112-92: whether answered or referred, the person is told this.
ACCOMPANIED = _l("You may be accompanied by a user representative who sits on the establishment's "
                 "users' committee (CDU).")


def check(complaint: Complaint, action: str) -> None:
    """Refuse ``action`` unless the complaint's status allows it (``ACTIONS``)."""
    if complaint.status not in ACTIONS[action]:
        raise _wrong_stage(complaint)


def _wrong_stage(complaint: Complaint) -> InvalidTransition:
    return InvalidTransition(_l("This complaint is not at the right stage for this (it is now: %(status)s).",
                                status=STATUS_LABELS.get(complaint.status, complaint.status)))


def required(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_l("This field is required."), field)
    return value


def record_step(complaint: Complaint, action: str, *, by, now: datetime, to: str | None = None,
                note: str = "", internal_note: str = "", due_on=None) -> ComplaintEvent:
    """One timeline step; with ``to``, the status change (checked against the state machine)."""
    from_status = None
    if to is not None:
        if to not in ALLOWED_TRANSITIONS[complaint.status]:
            raise _wrong_stage(complaint)
        from_status, complaint.status = complaint.status, to
    event = ComplaintEvent(complaint_id=complaint.id, from_status=from_status, to_status=to, action=action,
                           at=now, by_id=getattr(by, "id", None), due_on=due_on, public_note=note,
                           internal_note=internal_note or "")
    db.session.add(event)
    return event


def referrals_of(complaint: Complaint) -> list[Referral]:
    """The complaint's referrals as the database has them now (the relationship may have been
    loaded before a referral was added)."""
    return list(db.session.execute(select(Referral).where(Referral.complaint_id == complaint.id)
                                   .order_by(Referral.id)).scalars())


def set_due(complaint: Complaint, due_on, step: str | None) -> None:
    complaint.due_on, complaint.due_step = (due_on, step) if due_on is not None else (None, None)


def done(complaint: Complaint, action: str, *, by, now: datetime, from_status: str, **ids) -> None:
    """The audit row (statuses and ids only) and the complainant told."""
    audit.record(by, f"complaint.{action}", complaint, from_status=from_status, to_status=complaint.status,
                 **ids)
    notify.tell_complainant(complaint, action, now)


