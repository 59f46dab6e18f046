"""The representative's desk (issue 5, DESIGN.md §6): what a user representative sees of their own
mandates — days remaining, next meetings, the compulsory basic training, other trainings, hours
logged, the *congé de représentation* balance and the attestations of presence — and the use cases
that change it. Each read model runs a fixed number of queries, whatever the number of mandates.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import joinedload

from civicsante import audit
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.mandates import policy
from civicsante.mandates.models import (
    BASIC_TRAINING,
    BASIC_TRAINING_REQUIRED_FROM,
    ENDED,
    HOLDING_STATUSES,
    LEAVE_HALF_DAYS_PER_YEAR,
    LEAVE_NOTICE_DAYS,
    MANDATE_ENDING_DAYS,
    PRESENT,
    RU_SEAT_KINDS,
    TRAINING_ALERT_MONTHS,
    TRAINING_KINDS,
    Attendance,
    HoursEntry,
    Instance,
    LeaveRequest,
    Mandate,
    Meeting,
    Seat,
    Training,
)
from civicsante.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
# A mandate is highlighted as "ending soon" from the first alert step on (120 days).
ENDS_SOON_DAYS = MANDATE_ENDING_DAYS[0]
MAX_MINUTES = 1440
NEXT_MEETINGS = 10
TRAINING_MAX_HALF_DAYS = 40


def paris_today() -> date:
    return datetime.now(PARIS).date()


def paris_date(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's last day (31 August + 6 = 28/29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# Mandates and meetings ---------------------------------------------------------------------------

@dataclass
class DeskMandate:
    mandate: Mandate
    days_remaining: int

    @property
    def ends_soon(self) -> bool:
        return 0 <= self.days_remaining <= ENDS_SOON_DAYS


def _mandates_query(user):
    return (select(Mandate).where(Mandate.user_id == user.id)
            .options(joinedload(Mandate.seat).joinedload(Seat.instance).joinedload(Instance.type),
                     joinedload(Mandate.association)))


def desk_mandates(user, today: date) -> list[DeskMandate]:
    """The user's mandates not ended, soonest end first, with the days left until their end
    (one query)."""
    rows = db.session.execute(_mandates_query(user).where(Mandate.status != ENDED)
                              .order_by(Mandate.ends_on, Mandate.id)).unique().scalars()
    return [DeskMandate(m, (m.ends_on - today).days) for m in rows]


def own_mandate_in(user, instance_id: int) -> Mandate | None:
    """The user's mandate sitting in the instance (for the meeting page's "log my hours")."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        select(Mandate).join(Seat, Seat.id == Mandate.seat_id)
        .where(Mandate.user_id == user.id, Seat.instance_id == instance_id,
               Mandate.status.in_(policy.SITTING_STATUSES))
        .order_by(Mandate.ends_on.desc()).limit(1)).unique().scalar()


def own_mandate_choices(user, statuses=HOLDING_STATUSES) -> list[Mandate]:
    return list(db.session.execute(_mandates_query(user).where(Mandate.status.in_(statuses))
                                   .order_by(Mandate.ends_on)).unique().scalars())


def held_instance_ids(user):
    """The instances where ``user`` holds a designated or active mandate (a subquery)."""
    return (select(Seat.instance_id).join(Mandate, Mandate.seat_id == Seat.id)
            .where(Mandate.user_id == user.id, Mandate.status.in_(HOLDING_STATUSES)))


def next_meetings(user, now: datetime | None = None, limit: int = NEXT_MEETINGS) -> list[Meeting]:
    """The coming meetings of the instances the user sits in (one query)."""
    now = now or utcnow()
    return list(db.session.execute(
        select(Meeting).where(Meeting.instance_id.in_(held_instance_ids(user)), Meeting.ends_at >= now)
        .options(joinedload(Meeting.instance)).order_by(Meeting.starts_at).limit(limit)).scalars())


# Trainings ---------------------------------------------------------------------------------------
NOT_REQUIRED, DONE, REGISTERED, MISSING, OVERDUE = "non_requise", "faite", "inscrit", "a_faire", "en_retard"


@dataclass
class TrainingStatus:
    status: str
    first_designation: date | None = None
    deadline: date | None = None
    training: Training | None = None

    @property
    def due(self) -> bool:
        return self.status != NOT_REQUIRED


def basic_training_status(user, today: date) -> TrainingStatus:
    """The compulsory basic training (*formation de base*, 2 days, L1114-1 and R1114-17 ff.) is
    due for anyone holding an RU mandate designated on or after 1 July 2016. It is overdue
    ``TRAINING_ALERT_MONTHS`` after the first such designation. Two queries."""
    designated = func.coalesce(Mandate.designation_date, Mandate.starts_on)
    first = db.session.execute(
        select(func.min(designated)).join(Seat, Seat.id == Mandate.seat_id)
        .where(Mandate.user_id == user.id, Seat.kind.in_(RU_SEAT_KINDS),
               Mandate.status.in_((*HOLDING_STATUSES, ENDED)),
               designated >= BASIC_TRAINING_REQUIRED_FROM)).scalar()
    if first is None:
        return TrainingStatus(NOT_REQUIRED)
    deadline = add_months(first, TRAINING_ALERT_MONTHS)
    trainings = db.session.execute(
        select(Training).where(Training.user_id == user.id, Training.kind == BASIC_TRAINING)
        .order_by(Training.completed_on.is_(None), Training.starts_on)).scalars().all()
    done = next((t for t in trainings if t.completed_on is not None), None)
    if done is not None:
        return TrainingStatus(DONE, first, deadline, done)
    if trainings:
        return TrainingStatus(REGISTERED, first, deadline, trainings[0])
    return TrainingStatus(OVERDUE if today > deadline else MISSING, first, deadline)


def trainings_query(user):
    return select(Training).where(Training.user_id == user.id).order_by(Training.starts_on.desc(), Training.id.desc())


def _may_act_for(by, user) -> bool:
    return by is not None and (policy.is_admin(by) or (policy.can_view_desk(by) and by.id == user.id))


def record_training(user, *, kind: str, title: str, organiser: str, starts_on: date, half_days: int,
                    completed_on: date | None, by, today: date | None = None) -> Training:
    """A training the person followed or is registered for (no completion date). The holder
    records their own; admins anyone's. A completion cannot precede the start nor be in the
    future."""
    if not _may_act_for(by, user):
        raise NotAllowed(_l("You may only record your own trainings."))
    today = today or paris_today()
    if kind not in TRAINING_KINDS:
        raise DomainError(_l("Choose a kind of training."), "kind")
    if not (title or "").strip():
        raise DomainError(_l("This field is required."), "title")
    if not 1 <= (half_days or 0) <= TRAINING_MAX_HALF_DAYS:
        raise DomainError(_l("Give a number of half-days between 1 and %(max)s.", max=TRAINING_MAX_HALF_DAYS),
                          "half_days")
    if completed_on is not None and completed_on < starts_on:
        raise DomainError(_l("The training cannot be completed before it starts."), "completed_on")
    if completed_on is not None and completed_on > today:
        raise DomainError(_l("A completion date cannot be in the future."), "completed_on")
    training = Training(user_id=user.id, kind=kind, title=title.strip(), organiser=(organiser or "").strip(),
                        starts_on=starts_on, half_days=half_days, completed_on=completed_on)
    db.session.add(training)
    audit.record(by, "training.recorded", training, kind=kind, user_id=user.id)
    return training


def record_basic_training_indemnity(user, paid_on: date, by) -> Training:
    """The basic training's indemnity is paid once per person, whatever the number of their
    mandates (R1114-20 ff.): a second payment is refused. It goes on a completed basic training."""
    if not _may_act_for(by, user):
        raise NotAllowed(_l("You may only record your own indemnity."))
    trainings = db.session.execute(
        select(Training).where(Training.user_id == user.id, Training.kind == BASIC_TRAINING)
        .order_by(Training.completed_on)).scalars().all()
    paid = next((t for t in trainings if t.indemnity_paid_on is not None), None)
    if paid is not None:
        raise DomainError(_l("The basic training indemnity was already paid (on %(day)s): it is paid "
                             "once per person.", day=paid.indemnity_paid_on.strftime("%d/%m/%Y")), "paid_on")
    done = next((t for t in trainings if t.completed_on is not None), None)
    if done is None:
        raise DomainError(_l("Record the completed basic training first."), "paid_on")
    if paid_on < done.starts_on:
        raise DomainError(_l("The indemnity cannot be paid before the training."), "paid_on")
    done.indemnity_paid_on = paid_on
    audit.record(by, "training.indemnity_paid", done, user_id=user.id)
    return done


# Hours -------------------------------------------------------------------------------------------

def log_hours(mandate: Mandate, *, worked_on: date, minutes: int, meeting: Meeting | None = None,
              description: str = "", by, today: date | None = None) -> HoursEntry:
    """Time spent on a mandate. Only its holder logs it (policy.can_log_hours); from 1 minute to
    a whole day; not in the future; within the mandate's dates; a meeting must be one of the
    mandate's instance."""
    if not policy.can_log_hours(by, mandate):
        raise NotAllowed(_l("Only the holder of the mandate logs its hours."))
    today = today or paris_today()
    if minutes is None or not 1 <= minutes <= MAX_MINUTES:
        raise DomainError(_l("Give a duration between 1 and %(max)s minutes.", max=MAX_MINUTES), "minutes")
    if worked_on > today:
        raise DomainError(_l("The day cannot be in the future."), "worked_on")
    last_day = mandate.ended_on or mandate.ends_on
    if not mandate.starts_on <= worked_on <= last_day:
        raise DomainError(_l("The day must fall within the mandate (%(start)s to %(end)s).",
                             start=mandate.starts_on.strftime("%d/%m/%Y"), end=last_day.strftime("%d/%m/%Y")),
                          "worked_on")
    if meeting is not None and meeting.instance_id != mandate.seat.instance_id:
        raise DomainError(_l("This meeting is not one of the mandate's instance."), "meeting_id")
    entry = HoursEntry(mandate_id=mandate.id, meeting_id=meeting.id if meeting else None, worked_on=worked_on,
                       minutes=minutes, description=(description or "").strip()[:300])
    db.session.add(entry)
    audit.record(by, "hours.logged", entry, mandate_id=mandate.id, minutes=minutes)
    return entry


def hours_query(mandate: Mandate):
    return (select(HoursEntry).where(HoursEntry.mandate_id == mandate.id)
            .options(joinedload(HoursEntry.meeting)).order_by(HoursEntry.worked_on.desc(), HoursEntry.id.desc()))


def hours_totals(user) -> dict[int, int]:
    """Minutes logged per mandate of ``user`` (one query)."""
    rows = db.session.execute(
        select(HoursEntry.mandate_id, func.sum(HoursEntry.minutes)).join(Mandate, Mandate.id == HoursEntry.mandate_id)
        .where(Mandate.user_id == user.id).group_by(HoursEntry.mandate_id))
    return {mandate_id: int(total) for mandate_id, total in rows}


def hours_by_year(mandate: Mandate) -> list[tuple[int, int]]:
    """(year, minutes) logged on the mandate, latest year first (one query)."""
    year = extract("year", HoursEntry.worked_on)
    rows = db.session.execute(select(year, func.sum(HoursEntry.minutes)).where(HoursEntry.mandate_id == mandate.id)
                              .group_by(year).order_by(year.desc()))
    return [(int(y), int(total)) for y, total in rows]


def meetings_for_hours(mandate: Mandate, today: date) -> list[Meeting]:
    """Past meetings of the mandate's instance during the mandate, for the hours form."""
    start = datetime.combine(mandate.starts_on, datetime.min.time(), PARIS)
    end = datetime.combine(min(today, mandate.ended_on or mandate.ends_on) + timedelta(days=1),
                           datetime.min.time(), PARIS)
    return list(db.session.execute(
        select(Meeting).where(Meeting.instance_id == mandate.seat.instance_id, Meeting.starts_at >= start,
                              Meeting.starts_at < end).order_by(Meeting.starts_at.desc()).limit(50)).scalars())


# Congé de représentation -------------------------------------------------------------------------

def allowed_half_days() -> int:
    """9 working days a year by default (L3142-60 code du travail); the app config can change it."""
    if has_app_context():
        return int(current_app.config.get("MANDATE_LEAVE_HALF_DAYS_PER_YEAR", LEAVE_HALF_DAYS_PER_YEAR))
    return LEAVE_HALF_DAYS_PER_YEAR


def leave_balance(user, year: int) -> tuple[int, int, int]:
    """(allowed, used, remaining) half-days of *congé de représentation* for absences in ``year``
    (each request counts in the year of its absence). One query."""
    allowed = allowed_half_days()
    used = db.session.execute(
        select(func.coalesce(func.sum(LeaveRequest.half_days), 0))
        .where(LeaveRequest.user_id == user.id, LeaveRequest.absence_on >= date(year, 1, 1),
               LeaveRequest.absence_on <= date(year, 12, 31))).scalar_one()
    return allowed, int(used), allowed - int(used)


def leave_notice_warning(requested_on: date, absence_on: date):
    """The employer must be asked at least 15 days before the absence (code du travail, L3142-60
    ff.): a later request is still recorded, with a warning."""
    if requested_on > absence_on - timedelta(days=LEAVE_NOTICE_DAYS):
        return _l("This request is made less than %(days)s days before the absence: your employer may "
                  "refuse it. Ask as early as you can.", days=LEAVE_NOTICE_DAYS)
    return None


def request_leave(user, *, mandate: Mandate, absence_on: date, half_days: int, requested_on: date,
                  meeting: Meeting | None = None, note: str = "", by):
    """Record a request of *congé de représentation* for ``mandate``. Refused beyond the balance of
    the absence's year; a request made fewer than 15 days before the absence is recorded with a
    warning. Answers (request, warning or None)."""
    if by is None or by.id != user.id or not policy.can_request_leave(by, mandate):
        raise NotAllowed(_l("Only the holder of the mandate asks for leave."))
    if half_days is None or half_days < 1:
        raise DomainError(_l("Give at least one half-day."), "half_days")
    last_day = mandate.ended_on or mandate.ends_on
    if not mandate.starts_on <= absence_on <= last_day:
        raise DomainError(_l("The absence must fall within the mandate (%(start)s to %(end)s).",
                             start=mandate.starts_on.strftime("%d/%m/%Y"), end=last_day.strftime("%d/%m/%Y")),
                          "absence_on")
    if meeting is not None and meeting.instance_id != mandate.seat.instance_id:
        raise DomainError(_l("This meeting is not one of the mandate's instance."), "meeting_id")
    allowed, used, remaining = leave_balance(user, absence_on.year)
    if half_days > remaining:
        raise DomainError(_l("Only %(remaining)s half-days of leave remain for %(year)s (of %(allowed)s).",
                             remaining=remaining, year=absence_on.year, allowed=allowed), "half_days")
    leave = LeaveRequest(user_id=user.id, mandate_id=mandate.id, meeting_id=meeting.id if meeting else None,
                         requested_on=requested_on, absence_on=absence_on, half_days=half_days,
                         note=(note or "").strip()[:300])
    db.session.add(leave)
    audit.record(by, "leave.requested", leave, mandate_id=mandate.id, half_days=half_days)
    return leave, leave_notice_warning(requested_on, absence_on)


def leave_query(user):
    return (select(LeaveRequest).where(LeaveRequest.user_id == user.id)
            .options(joinedload(LeaveRequest.mandate).joinedload(Mandate.seat).joinedload(Seat.instance))
            .order_by(LeaveRequest.absence_on.desc(), LeaveRequest.id.desc()))


# Attestation of presence -------------------------------------------------------------------------

@dataclass
class Attestation:
    user: object
    mandate: Mandate
    meeting: Meeting


def attestation(user, meeting: Meeting) -> Attestation | None:
    """What the attestation of presence certifies: only for a meeting where the user's mandate was
    marked present or has hours logged for it (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    present = select(Attendance.id).where(Attendance.meeting_id == meeting.id, Attendance.mandate_id == Mandate.id,
                                          Attendance.status == PRESENT).exists()
    logged = select(HoursEntry.id).where(HoursEntry.meeting_id == meeting.id,
                                         HoursEntry.mandate_id == Mandate.id).exists()
    mandate = db.session.execute(
        select(Mandate).join(Seat, Seat.id == Mandate.seat_id)
        .where(Mandate.user_id == user.id, Seat.instance_id == meeting.instance_id, or_(present, logged))
        .options(joinedload(Mandate.seat)).limit(1)).unique().scalar()
    return Attestation(user, mandate, meeting) if mandate is not None else None
