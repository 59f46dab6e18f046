"""The life of a complaint (DESIGN.md §5, Code de la santé publique R1112-80 to R1112-94): one
named service per transition of the state machine

    received → acknowledged → (answered | referred) → meeting_due → met | refused | impossible
    → report_due → report_forwarded → awaiting_cdu → opinion → reply_due → closed,
    answered → referred | closed, and out_of_scope, delegated_cdsp.

Every service checks that the complaint's status allows it (else ``InvalidTransition``), writes
one ``ComplaintEvent`` per status change (by whom, when, the deadline it set, a plain-French
sentence for the complainant), keeps ``Complaint.due_on``/``due_step`` on the next deadline
(``deadlines``; None when nothing is due), writes one audit row "complaint.<function>" (ids and
statuses only, never complaint text) and tells the complainant (``notify``). Services add to the
session; the route commits. Each takes ``now`` (default: the current instant) so the demo data
and the tests can date what they record. Permissions are the routes' business (``policy``).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civicsante import audit
from civicsante.complaints import deadlines, notify, policy
from civicsante.complaints.mediation import (
    forward_report,
    record_meeting,
    refer_to_mediator,
    schedule_mediation,
    submit_report,
)
from civicsante.complaints.models import (
    ACKNOWLEDGED,
    ANSWERED,
    AWAITING_CDU,
    CLOSED,
    DELEGATED_CDSP,
    JUDICIAL_APPEAL,
    NATURES,
    OPINION,
    OPINION_KINDS,
    OUT_OF_SCOPE,
    OUT_OF_SCOPE_KINDS,
    RECEIVED,
    RECOMMENDATIONS,
    REPLY_DUE,
    REPORT_FORWARDED,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Opinion,
    Recommendation,
    Reply,
    SessionItem,
)
from civicsante.complaints.transitions import (
    ACCOMPANIED,
    ACTIONS,
    ALLOWED_TRANSITIONS,
    InvalidTransition,
    check,
    done,
    record_step,
    referrals_of,
    required,
    set_due,
)
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.types import utcnow


__all__ = [  # the lifecycle API (the mediation services live in ``mediation``)
    "ACTIONS", "ALLOWED_TRANSITIONS", "InvalidTransition", "acknowledge", "answer_directly", "close_after_answer",
    "delegate_to_cdsp", "forward_report", "mark_out_of_scope", "put_on_agenda", "qualify", "record_meeting",
    "record_opinion", "refer_to_mediator", "schedule_mediation", "send_reply", "submit_report",
]
_day = notify.day

# Receipt and first response (R1112-91, R1112-92) ------------------------------------------------

def acknowledge(complaint: Complaint, *, by, now: datetime | None = None) -> ComplaintEvent:
    """received → acknowledged. The complaint gets its reference (if it has none) and the person an
    acknowledgement with the next step and its expected date (R1112-91: a written complaint is
    acknowledged; R1112-92: the legal representative answers or refers "dans les meilleurs
    délais" — ``deadlines.first_response_due_on``)."""
    check(complaint, "acknowledge")
    now = now or utcnow()
    db.session.flush()
    if not complaint.reference:
        complaint.reference = f"R{deadlines.paris_date(complaint.received_at or now).year}-{complaint.id:05d}"
    complaint.acknowledged_at = now
    due = deadlines.first_response_due_on(complaint.received_at or now)
    with notify.in_timeline_locale():
        note = notify.join(gettext("Your complaint no. %(reference)s was received on %(date)s.",
                                   reference=complaint.reference, date=_day(complaint.received_at or now)),
                           gettext("Next step: the director of the establishment answers you or refers your "
                                   "complaint to a mediator, expected by %(due)s.", due=_day(due)),
                           str(ACCOMPANIED))
    event = record_step(complaint, "acknowledge", by=by, now=now, to=ACKNOWLEDGED, note=note, due_on=due)
    set_due(complaint, due, deadlines.FIRST_RESPONSE)
    done(complaint, "acknowledge", by=by, now=now, from_status=RECEIVED)
    return event


def qualify(complaint: Complaint, *, nature: str, category_id: int | None, by,
            now: datetime | None = None) -> Complaint:
    """Record the nature (it decides the mediator, R1112-92) and the category (for the annual
    report, R1112-80 II). No status change, no timeline step; refused once a mediator has been
    chosen on the strength of the nature."""
    check(complaint, "qualify")
    if nature not in NATURES:
        raise DomainError(_l("Choose the nature of the complaint."), "nature")
    if category_id is None or db.session.get(ComplaintCategory, category_id) is None:
        raise DomainError(_l("Choose a category."), "category_id")
    if referrals_of(complaint) and nature != complaint.nature:
        raise DomainError(_l("The complaint has been referred to a mediator: its nature can no longer change."),
                          "nature")
    complaint.nature, complaint.category_id = nature, category_id
    audit.record(by, "complaint.qualify", complaint, nature=nature, category_id=category_id)
    return complaint


def answer_directly(complaint: Complaint, *, text: str, by, now: datetime | None = None) -> Reply:
    """acknowledged → answered: the legal representative answers without a mediator, telling the
    person they may still see one and be accompanied by an RU member of the CDU (R1112-92)."""
    check(complaint, "answer_directly")
    text = required(text, "text")
    now = now or utcnow()
    reply = Reply(complaint_id=complaint.id, direct=True, text=text, sent_by_id=getattr(by, "id", None),
                  sent_at=now)
    db.session.add(reply)
    with notify.in_timeline_locale():
        note = notify.join(gettext("The director of the establishment answered you on %(date)s.", date=_day(now)),
                           gettext("If this answer does not satisfy you, you may ask to meet a mediator."),
                           str(ACCOMPANIED))
    record_step(complaint, "answer_directly", by=by, now=now, to=ANSWERED, note=note)
    set_due(complaint, None, None)
    db.session.flush()
    done(complaint, "answer_directly", by=by, now=now, from_status=ACKNOWLEDGED, reply_id=reply.id)
    return reply


def close_after_answer(complaint: Complaint, *, by, now: datetime | None = None) -> ComplaintEvent:
    """answered → closed: the direct answer settled it, the person did not ask for a mediator
    (R1112-92)."""
    check(complaint, "close_after_answer")
    now = now or utcnow()
    complaint.closed_at = now
    with notify.in_timeline_locale():
        note = gettext("Your complaint was closed on %(date)s after the director's answer.", date=_day(now))
    event = record_step(complaint, "close_after_answer", by=by, now=now, to=CLOSED, note=note)
    set_due(complaint, None, None)
    done(complaint, "close_after_answer", by=by, now=now, from_status=ANSWERED)
    return event


# The CDU (R1112-88, R1112-94) ------------------------------------------------------------------------

def put_on_agenda(complaint: Complaint, *, meeting, by, now: datetime | None = None) -> SessionItem:
    """report_forwarded → awaiting_cdu: the complaint goes on the agenda of a session (a mandates
    ``Meeting``) of the establishment's CDU that is not over, to be examined there (R1112-94; the
    CDU meets at least quarterly and its agenda is sent 8 days ahead, R1112-88: ``sessions``)."""
    check(complaint, "put_on_agenda")
    now = now or utcnow()
    if meeting is None or meeting.instance_id != policy.cdu_instance_id(complaint.establishment_id):
        raise DomainError(_l("Choose a session of this establishment's CDU."), "meeting")
    if meeting.ends_at < now:
        raise DomainError(_l("This session is over: choose a coming one."), "meeting")
    position = db.session.execute(select(func.coalesce(func.max(SessionItem.position), 0))
                                  .where(SessionItem.meeting_id == meeting.id)).scalar_one() + 1
    item = SessionItem(meeting_id=meeting.id, complaint_id=complaint.id, position=position)
    db.session.add(item)
    with notify.in_timeline_locale():
        note = gettext("Your complaint will be examined by the CDU at its session of %(date)s.",
                       date=_day(meeting.starts_at))
    record_step(complaint, "put_on_agenda", by=by, now=now, to=AWAITING_CDU, note=note)
    set_due(complaint, None, None)
    db.session.flush()
    done(complaint, "put_on_agenda", by=by, now=now, from_status=REPORT_FORWARDED, meeting_id=meeting.id,
         item_id=item.id)
    return item


def record_opinion(complaint: Complaint, *, kind: str, text: str, meeting, recommendations=(), by,
                   now: datetime | None = None) -> Opinion:
    """awaiting_cdu → opinion → reply_due: the CDU's opinion — recommendations, routes of appeal
    or a reasoned closure (R1112-94) — given at the session the complaint is on, once it has
    begun; each recommendation is recorded for its follow-up (R1112-80 II). The reply is then
    due within 8 days of the session (``deadlines.reply_due_on``)."""
    check(complaint, "record_opinion")
    if kind not in OPINION_KINDS:
        raise DomainError(_l("Choose the kind of opinion."), "kind")
    text = required(text, "text")
    texts = [t.strip() for t in recommendations or () if t and t.strip()]
    if kind == RECOMMENDATIONS and not texts:
        raise DomainError(_l("Write at least one recommendation."), "recommendations")
    now = now or utcnow()
    on_agenda = meeting is not None and db.session.execute(select(SessionItem.id).where(
        SessionItem.meeting_id == meeting.id, SessionItem.complaint_id == complaint.id)).scalar() is not None
    if not on_agenda:
        raise DomainError(_l("The opinion is given at the session the complaint is on."), "meeting")
    if meeting.starts_at > now:
        raise DomainError(_l("This session has not begun yet."), "meeting")
    opinion = Opinion(complaint_id=complaint.id, meeting_id=meeting.id, kind=kind, text=text,
                      recorded_by_id=getattr(by, "id", None), recorded_at=now)
    db.session.add(opinion)
    session_day = deadlines.paris_date(meeting.starts_at)
    db.session.add_all([Recommendation(establishment_id=complaint.establishment_id, complaint_id=complaint.id,
                                       text=t, issued_on=session_day, updated_at=now) for t in texts])
    due = deadlines.reply_due_on(meeting.starts_at)
    with notify.in_timeline_locale():
        note = gettext("The CDU examined your complaint at its session of %(date)s and gave its opinion.",
                       date=_day(meeting.starts_at))
        next_note = gettext("The director sends you their reply, with the CDU's opinion attached, by %(due)s.",
                            due=_day(due))
    record_step(complaint, "record_opinion", by=by, now=now, to=OPINION, note=note)
    record_step(complaint, "record_opinion", by=by, now=now, to=REPLY_DUE, note=next_note, due_on=due)
    set_due(complaint, due, deadlines.REPLY)
    db.session.flush()
    done(complaint, "record_opinion", by=by, now=now, from_status=AWAITING_CDU, opinion_id=opinion.id,
         meeting_id=meeting.id, kind=kind, recommendations=len(texts))
    return opinion


def send_reply(complaint: Complaint, *, text: str, by, now: datetime | None = None) -> Reply:
    """reply_due → closed: the legal representative's reply, within 8 days of the session, with
    the CDU's opinion attached (R1112-94): the reply belongs to the complaint whose single
    ``Opinion`` it carries."""
    check(complaint, "send_reply")
    text = required(text, "text")
    opinion_id = db.session.execute(select(Opinion.id).where(Opinion.complaint_id == complaint.id)).scalar()
    if opinion_id is None:
        raise InvalidTransition(_l("The CDU's opinion must be recorded before the reply."))
    now = now or utcnow()
    reply = Reply(complaint_id=complaint.id, direct=False, text=text, sent_by_id=getattr(by, "id", None),
                  sent_at=now)
    db.session.add(reply)
    complaint.closed_at = now
    with notify.in_timeline_locale():
        note = gettext("The director sent you their reply on %(date)s, with the CDU's opinion attached. Your "
                       "complaint is closed.", date=_day(now))
    record_step(complaint, "send_reply", by=by, now=now, to=CLOSED, note=note)
    set_due(complaint, None, None)
    db.session.flush()
    done(complaint, "send_reply", by=by, now=now, from_status=REPLY_DUE, reply_id=reply.id, opinion_id=opinion_id)
    return reply


# Outside the CDU ---------------------------------------------------------------------------------

def mark_out_of_scope(complaint: Complaint, *, kind: str, note: str = "", by, now: datetime | None = None
                      ) -> ComplaintEvent:
    """received | acknowledged | answered → out_of_scope: a *recours gracieux* (a demand for
    compensation or annulment) or a *recours juridictionnel* is not the CDU's to examine
    (R1112-80 I). It stays recorded and counted in the annual report; the person is given the
    routes of appeal. ``note`` is the office's internal reason."""
    check(complaint, "mark_out_of_scope")
    if kind not in OUT_OF_SCOPE_KINDS:
        raise DomainError(_l("Say why the complaint is out of scope."), "kind")
    now = now or utcnow()
    from_status = complaint.status
    complaint.out_of_scope_kind, complaint.closed_at = kind, now
    with notify.in_timeline_locale():
        if kind == JUDICIAL_APPEAL:
            why = gettext("Your complaint is the subject of court proceedings: the users' committee (CDU) cannot "
                          "examine it, but it remains recorded. The court you applied to will decide.")
        else:
            why = gettext("Your complaint asks for compensation or for a decision to be annulled (recours "
                          "gracieux): the director of the establishment answers it, not the users' committee "
                          "(CDU); it remains recorded.")
        public = notify.join(
            why, gettext("Routes of appeal: for a medical accident, the commission de conciliation et "
                         "d'indemnisation (CCI) of your region; the administrative court (public hospital) or the "
                         "judicial court (private establishment); the Défenseur des droits."))
    event = record_step(complaint, "mark_out_of_scope", by=by, now=now, to=OUT_OF_SCOPE, note=public,
                        internal_note=note or "")
    set_due(complaint, None, None)
    done(complaint, "mark_out_of_scope", by=by, now=now, from_status=from_status, kind=kind)
    return event


def delegate_to_cdsp(complaint: Complaint, *, note: str = "", by, now: datetime | None = None) -> ComplaintEvent:
    """received | acknowledged → delegated_cdsp: a complaint about psychiatric care without
    consent goes to the commission départementale des soins psychiatriques (L3222-5, L3223-1).
    ``note`` is the office's internal note."""
    check(complaint, "delegate_to_cdsp")
    now = now or utcnow()
    from_status = complaint.status
    complaint.closed_at = now
    with notify.in_timeline_locale():
        public = gettext("Your complaint concerns psychiatric care without consent: on %(date)s it was passed on "
                         "to the departmental commission for psychiatric care (CDSP), which examines such "
                         "complaints.", date=_day(now))
    event = record_step(complaint, "delegate_to_cdsp", by=by, now=now, to=DELEGATED_CDSP, note=public,
                        internal_note=note or "")
    set_due(complaint, None, None)
    done(complaint, "delegate_to_cdsp", by=by, now=now, from_status=from_status)
    return event
