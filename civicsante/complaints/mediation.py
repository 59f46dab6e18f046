"""The mediation of a complaint (R1112-92 to R1112-94): referral to the medical and/or the
non-medical mediator, the meeting within 8 days (before discharge when hospitalised), its
outcome, the mediator's report within 8 days, its forwarding to the CDU members and the
complainant. Callers use ``lifecycle``, which exposes these services.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from civicsante.complaints import deadlines, notify, policy
from civicsante.complaints.models import (
    BOTH,
    IMPOSSIBLE,
    MEDICAL,
    MEDICAL_MEDIATOR,
    MEETING_DUE,
    MEETING_OUTCOMES,
    MET,
    NON_MEDICAL,
    NON_MEDICAL_MEDIATOR,
    REFERRED,
    REFUSED,
    REPORT_DUE,
    REPORT_FORWARDED,
    Complaint,
    ComplaintEvent,
    Referral,
)
from civicsante.complaints.transitions import (
    ACCOMPANIED,
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
from civicsante.mandates.models import Mandate
from civicsante.types import utcnow


_day = notify.day



# Mediation (R1112-92 to R1112-94) -----------------------------------------------------------------

def _check_mediator(user, complaint: Complaint, field: str) -> None:
    if not policy.is_establishment_mediator(user, complaint.establishment_id):
        raise DomainError(_l("This person is not a mediator of this establishment."), field)


def refer_to_mediator(complaint: Complaint, *, medical_mediator=None, non_medical_mediator=None, by,
                      now: datetime | None = None) -> list[Referral]:
    """acknowledged | answered → referred (R1112-92): a complaint only about care or medical
    functioning goes to the medical mediator, any other to the non-medical one, both when both
    apply — so the complaint is qualified first, and each mediator holds the mediator role for
    the establishment. The meeting is due within 8 days, before the discharge of a hospitalised
    patient (R1112-93, ``deadlines.meeting_due_on``); the person is told they may be accompanied
    by an RU member of the CDU."""
    check(complaint, "refer_to_mediator")
    if complaint.nature is None:
        raise DomainError(_l("Qualify the complaint first: the nature decides which mediator receives it."),
                          "nature")
    wants_medical, wants_other = complaint.nature in (MEDICAL, BOTH), complaint.nature in (NON_MEDICAL, BOTH)
    for person, wanted, field, missing, extra in (
            (medical_mediator, wants_medical, "medical_mediator",
             _l("A complaint about care or medical functioning goes to the medical mediator: choose one."),
             _l("This complaint is not about medical care: it does not go to the medical mediator.")),
            (non_medical_mediator, wants_other, "non_medical_mediator",
             _l("This complaint goes to the non-medical mediator: choose one."),
             _l("This complaint is only about medical care: it does not go to the non-medical mediator."))):
        if wanted and person is None:
            raise DomainError(missing, field)
        if not wanted and person is not None:
            raise DomainError(extra, field)
        if person is not None:
            _check_mediator(person, complaint, field)
    if (medical_mediator is not None and non_medical_mediator is not None
            and medical_mediator.id == non_medical_mediator.id):
        raise DomainError(_l("The medical and the non-medical mediator are two different people."),
                          "non_medical_mediator")
    now = now or utcnow()
    from_status = complaint.status
    discharge = complaint.discharge_expected_on if complaint.patient_hospitalised else None
    due = deadlines.meeting_due_on(now, discharge)
    referrals = [Referral(complaint_id=complaint.id, mediator_id=person.id, kind=kind, referred_at=now,
                          meeting_due_on=due)
                 for person, kind in ((medical_mediator, MEDICAL_MEDIATOR),
                                      (non_medical_mediator, NON_MEDICAL_MEDIATOR))
                 if person is not None]
    complaint.referrals.extend(referrals)  # through the relationship: a page reading it sees them
    with notify.in_timeline_locale():
        whom = (gettext("to the medical mediator and to the non-medical mediator") if len(referrals) == 2
                else gettext("to the medical mediator") if medical_mediator is not None
                else gettext("to the non-medical mediator"))
        note = notify.join(
            gettext("Your complaint was referred %(whom)s on %(date)s; they must meet you by %(due)s.",
                    whom=whom, date=_day(now), due=_day(due)),
            gettext("The meeting takes place before you leave hospital.") if due == discharge else "",
            str(ACCOMPANIED))
    record_step(complaint, "refer_to_mediator", by=by, now=now, to=REFERRED, note=note, due_on=due)
    set_due(complaint, due, deadlines.MEETING)
    db.session.flush()
    done(complaint, "refer_to_mediator", by=by, now=now, from_status=from_status,
         referral_ids=[r.id for r in referrals], due_on=due)
    notify.tell_staff(complaint, "refer_to_mediator", [r.mediator_id for r in referrals], now)
    return referrals


def _open_referral(referral: Referral) -> None:
    if referral.meeting_outcome is not None:
        raise InvalidTransition(_l("The outcome of this mediation has already been recorded."))


def schedule_mediation(referral: Referral, *, meeting_at: datetime, place: str, accompanying_mandate_id=None, by,
                       now: datetime | None = None) -> Referral:
    """referred → meeting_due: the mediator sets the meeting (by the deadline of R1112-93; a later
    date is accepted, the dashboard shows it overdue). The person may ask to be accompanied by
    an RU member of the CDU (R1112-92): an active RU mandate of that establishment's CDU.
    Rescheduling, or the second mediator's meeting, adds a step without a status change."""
    complaint = referral.complaint
    check(complaint, "schedule_mediation")
    _open_referral(referral)
    if meeting_at is None:
        raise DomainError(_l("This field is required."), "meeting_at")
    if meeting_at < referral.referred_at:
        raise DomainError(_l("The meeting cannot come before the referral."), "meeting_at")
    place = required(place, "place")
    if accompanying_mandate_id is not None and not policy.is_ru_mandate_of_cdu(
            db.session.get(Mandate, accompanying_mandate_id), complaint.establishment_id):
        raise DomainError(_l("Choose a user representative who sits on this establishment's CDU."),
                          "accompanying_mandate_id")
    now = now or utcnow()
    from_status = complaint.status
    referral.meeting_at, referral.meeting_place = meeting_at, place
    referral.accompanying_mandate_id = accompanying_mandate_id
    with notify.in_timeline_locale():
        note = notify.join(gettext("Your meeting with the mediator is set for %(when)s (%(place)s).",
                                   when=notify.moment(meeting_at), place=place),
                           gettext("A user representative of the CDU will accompany you.")
                           if accompanying_mandate_id else "")
    record_step(complaint, "schedule_mediation", by=by, now=now, note=note, due_on=referral.meeting_due_on,
                to=MEETING_DUE if complaint.status == REFERRED else None)
    done(complaint, "schedule_mediation", by=by, now=now, from_status=from_status, referral_id=referral.id,
         accompanying_mandate_id=accompanying_mandate_id)
    return referral


def _combined_outcome(referrals: list[Referral]) -> str:
    outcomes = {r.meeting_outcome for r in referrals}
    return MET if MET in outcomes else REFUSED if REFUSED in outcomes else IMPOSSIBLE


def _report_deadline(complaint: Complaint, now: datetime):
    """The earliest report still awaited; once all are in, today: the president forwards them
    "sans délai" (R1112-94)."""
    waiting = [r.report_due_on for r in referrals_of(complaint) if r.reported_at is None and r.report_due_on]
    return min(waiting) if waiting else deadlines.paris_date(now)


def record_meeting(referral: Referral, *, outcome: str, held_at: datetime, note: str = "", by,
                   now: datetime | None = None) -> Referral:
    """referred | meeting_due → met | refused | impossible (R1112-93), then → report_due at once:
    the report is due 8 days after ``held_at`` (R1112-94, ``deadlines.report_due_on``) — the day
    of the meeting, or the day the person refused or the meeting proved impossible; it is kept
    in ``Referral.meeting_at``. With two mediators the complaint moves when both outcomes are in
    (met if either met); until then the first outcome is a step without a status change.
    ``note`` is the mediator's internal note (never shown to the complainant nor audited)."""
    complaint = referral.complaint
    check(complaint, "record_meeting")
    _open_referral(referral)
    if outcome not in MEETING_OUTCOMES:
        raise DomainError(_l("Say whether the meeting took place, was refused or proved impossible."), "outcome")
    now = now or utcnow()
    if held_at is None:
        raise DomainError(_l("This field is required."), "held_at")
    if held_at > now:
        raise DomainError(_l("This date is in the future."), "held_at")
    if held_at < referral.referred_at:
        raise DomainError(_l("The meeting cannot come before the referral."), "held_at")
    from_status = complaint.status
    referral.meeting_outcome, referral.outcome_recorded_at, referral.meeting_at = outcome, now, held_at
    referral.report_due_on = deadlines.report_due_on(held_at)
    with notify.in_timeline_locale():
        said = {MET: gettext("You met the mediator on %(date)s.", date=_day(held_at)),
                REFUSED: gettext("You declined the meeting with the mediator (%(date)s).", date=_day(held_at)),
                IMPOSSIBLE: gettext("The meeting with the mediator could not take place (%(date)s).",
                                    date=_day(held_at))}[outcome]
    referrals = referrals_of(complaint)
    pending = [r for r in referrals if r.meeting_outcome is None]
    if pending:
        due = min(r.meeting_due_on for r in pending)
        record_step(complaint, "record_meeting", by=by, now=now, note=said, internal_note=note, due_on=due)
        set_due(complaint, due, deadlines.MEETING)
    else:
        record_step(complaint, "record_meeting", by=by, now=now, to=_combined_outcome(referrals), note=said,
                    internal_note=note)
        due = _report_deadline(complaint, now)
        with notify.in_timeline_locale():
            next_note = gettext("The mediator sends their report to the president of the CDU by %(due)s; it will "
                                "then be sent to you.", due=_day(due))
        record_step(complaint, "record_meeting", by=by, now=now, to=REPORT_DUE, note=next_note, due_on=due)
        set_due(complaint, due, deadlines.REPORT)
    done(complaint, "record_meeting", by=by, now=now, from_status=from_status, referral_id=referral.id,
         outcome=outcome)
    return referral


def submit_report(referral: Referral, *, text: str, by, now: datetime | None = None) -> Referral:
    """The mediator's report to the CDU president, within 8 days of the meeting (R1112-94); once
    the last one is in, forwarding is due at once. No status change."""
    complaint = referral.complaint
    check(complaint, "submit_report")
    if referral.meeting_outcome is None:
        raise InvalidTransition(_l("Record the outcome of the meeting before the report."))
    if referral.reported_at is not None:
        raise InvalidTransition(_l("This report has already been submitted."))
    text = required(text, "text")
    now = now or utcnow()
    referral.report_text, referral.reported_at = text, now
    if complaint.status == REPORT_DUE:
        set_due(complaint, _report_deadline(complaint, now), deadlines.REPORT)
    with notify.in_timeline_locale():
        note = gettext("The mediator sent their report to the president of the CDU on %(date)s.", date=_day(now))
    record_step(complaint, "submit_report", by=by, now=now, note=note, due_on=complaint.due_on)
    done(complaint, "submit_report", by=by, now=now, from_status=complaint.status, referral_id=referral.id)
    return referral


def forward_report(complaint: Complaint, *, by, now: datetime | None = None) -> ComplaintEvent:
    """report_due → report_forwarded: the CDU president forwards the mediators' reports "sans
    délai" to the members of the CDU and to the complainant (R1112-94) — every report must be in.
    The members (active mandates of the establishment's CDU) get a notification."""
    check(complaint, "forward_report")
    if any(r.reported_at is None for r in referrals_of(complaint)):
        raise DomainError(_l("Every mediator's report must be in before it is forwarded."))
    now = now or utcnow()
    with notify.in_timeline_locale():
        note = notify.join(
            gettext("The mediator's report was sent to you and to the members of the CDU on %(date)s.",
                    date=_day(now)),
            gettext("The CDU will examine your complaint at one of its sessions."))
    event = record_step(complaint, "forward_report", by=by, now=now, to=REPORT_FORWARDED, note=note)
    set_due(complaint, None, None)
    members = policy.cdu_member_ids(complaint.establishment_id)
    done(complaint, "forward_report", by=by, now=now, from_status=REPORT_DUE, members=len(members))
    notify.tell_staff(complaint, "forward_report", members, now)
    return event


