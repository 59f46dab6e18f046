"""Meetings of an instance (issue 5, DESIGN.md §5–§6): scheduling, the CDU agenda notice, who
attended, the minutes. Whoever manages the instance's meetings (policy.can_manage_meetings) acts;
every change is audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from civicsante import audit
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.mandates import policy
from civicsante.mandates.desk import paris_date
from civicsante.mandates.models import (
    ATTENDANCE_STATUSES,
    CDU_AGENDA_NOTICE_DAYS,
    CDU_URGENT_AGENDA_NOTICE_DAYS,
    REPLACED,
    RU_TITULAIRE,
    Attendance,
    Instance,
    Mandate,
    Meeting,
    Seat,
)
from civicsante.types import utcnow

TITLE_MAX = 200
FIELDS = ("title", "starts_at", "ends_at", "place", "visio_url", "agenda", "agenda_sent_at", "urgent")


def _check(*, title, starts_at, ends_at, place, visio_url, **_):
    if not (title or "").strip():
        raise DomainError(_l("This field is required."), "title")
    if starts_at is None:
        raise DomainError(_l("This field is required."), "starts_at")
    if ends_at is None or ends_at <= starts_at:
        raise DomainError(_l("The meeting must end after it starts."), "ends_at")
    if not (place or "").strip() and not (visio_url or "").strip():
        raise DomainError(_l("Give a place or a video-conference link."), "place")
    if visio_url and not visio_url.strip().lower().startswith(("https://", "http://")):
        raise DomainError(_l("The link must start with https://."), "visio_url")


def _apply(meeting: Meeting, values: dict) -> list[str]:
    changed = []
    for name in FIELDS:
        value = values[name]
        if isinstance(value, str):
            value = value.strip()
        if getattr(meeting, name) != value:
            setattr(meeting, name, value)
            changed.append(name)
    return changed


def schedule_meeting(instance: Instance, *, title: str, starts_at: datetime, ends_at: datetime, place: str = "",
                     visio_url: str = "", agenda: str = "", agenda_sent_at: datetime | None = None,
                     urgent: bool = False, by) -> Meeting:
    """A meeting of ``instance`` (aware UTC datetimes), held in a place or by video. A CDU agenda
    sent late is not refused: ``agenda_notice_warning`` says so (R1112-88)."""
    if not policy.can_manage_meetings(by, instance):
        raise NotAllowed(_l("You do not manage this instance's meetings."))
    values = dict(title=title, starts_at=starts_at, ends_at=ends_at, place=place or "", visio_url=visio_url or "",
                  agenda=agenda or "", agenda_sent_at=agenda_sent_at, urgent=bool(urgent))
    _check(**values)
    meeting = Meeting(instance_id=instance.id, created_by_id=by.id)
    meeting.instance = instance
    _apply(meeting, values)
    db.session.add(meeting)
    audit.record(by, "meeting.scheduled", meeting, instance_id=instance.id)
    return meeting


def edit_meeting(meeting: Meeting, *, by, **values) -> Meeting:
    """Change a meeting's date, place, link or agenda (same rules as scheduling)."""
    if not policy.can_manage_meetings(by, meeting.instance):
        raise NotAllowed(_l("You do not manage this instance's meetings."))
    values = {name: values.get(name, getattr(meeting, name)) for name in FIELDS}
    values["place"], values["visio_url"] = values["place"] or "", values["visio_url"] or ""
    values["agenda"], values["urgent"] = values["agenda"] or "", bool(values["urgent"])
    _check(**values)
    changed = _apply(meeting, values)
    if changed:
        audit.record(by, "meeting.edited", meeting, fields=changed)
    return meeting


def agenda_notice_warning(meeting: Meeting, now: datetime | None = None):
    """For a CDU (R1112-88): the agenda goes to the members at least 8 days before the meeting, at
    least one clear day (a whole day between sending and meeting) when it is urgent. Counted in
    calendar days, Paris dates. Not a refusal: a message to show, or None."""
    if not meeting.instance.type.is_cdu:
        return None
    meeting_day = paris_date(meeting.starts_at)
    if meeting.urgent:
        needed = CDU_URGENT_AGENDA_NOTICE_DAYS + 1  # sent on D, a clear day D+1, the meeting on D+2
        message = _l("The agenda of an urgent CDU meeting must be sent at least one clear day before it.")
    else:
        needed = CDU_AGENDA_NOTICE_DAYS
        message = _l("The agenda of a CDU meeting must be sent at least %(days)s days before it.",
                     days=CDU_AGENDA_NOTICE_DAYS)
    if meeting.agenda_sent_at is None:
        # Not sent yet: only a problem once it can no longer be sent in time.
        today = paris_date(now or utcnow())
        return message if (meeting_day - today).days < needed else None
    return message if (meeting_day - paris_date(meeting.agenda_sent_at)).days < needed else None


def _sitting_mandates(meeting: Meeting):
    """Mandates of the instance that cover the meeting's day (designated, active or since ended)."""
    day = paris_date(meeting.starts_at)
    return (select(Mandate).join(Seat, Seat.id == Mandate.seat_id)
            .where(Seat.instance_id == meeting.instance_id, Mandate.status.in_(policy.SITTING_STATUSES),
                   Mandate.starts_on <= day, Mandate.ends_on >= day))


def record_attendance(meeting: Meeting, mandate: Mandate, status: str, by) -> Attendance:
    """Whether the holder of a mandate sitting in the instance attended: present, excused, or
    replaced by the suppléant (R1112-87) — which only a titulaire can be."""
    if not policy.can_manage_meetings(by, meeting.instance):
        raise NotAllowed(_l("You do not manage this instance's meetings."))
    if status not in ATTENDANCE_STATUSES:
        raise DomainError(_l("Choose an attendance."), "status")
    sitting = db.session.execute(_sitting_mandates(meeting).where(Mandate.id == mandate.id)).first()
    if sitting is None:
        raise DomainError(_l("This person does not sit in the instance on the day of the meeting."), "mandate_id")
    if status == REPLACED and mandate.seat.kind != RU_TITULAIRE:
        raise DomainError(_l("Only a full member can be replaced by their substitute."), "status")
    attendance = db.session.execute(select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.mandate_id == mandate.id)).scalar()
    if attendance is None:
        attendance = Attendance(meeting_id=meeting.id, mandate_id=mandate.id, status=status)
        db.session.add(attendance)
    elif attendance.status == status:
        return attendance
    else:
        attendance.status = status
    audit.record(by, "meeting.attendance", meeting, mandate_id=mandate.id, status=status)
    return attendance


def record_minutes(meeting: Meeting, text: str, by) -> Meeting:
    """The minutes, kept as text with the meeting."""
    if not policy.can_manage_meetings(by, meeting.instance):
        raise NotAllowed(_l("You do not manage this instance's meetings."))
    text = (text or "").strip()
    if text != meeting.minutes:
        meeting.minutes = text
        audit.record(by, "meeting.minutes", meeting, length=len(text))
    return meeting


@dataclass
class MemberRow:
    mandate: Mandate
    status: str | None


def meeting_members(meeting: Meeting) -> list[MemberRow]:
    """The people sitting in the instance on the meeting's day with their attendance (one query)."""
    rows = db.session.execute(
        _sitting_mandates(meeting).add_columns(Attendance.status)
        .outerjoin(Attendance, and_(Attendance.mandate_id == Mandate.id, Attendance.meeting_id == meeting.id))
        .options(joinedload(Mandate.user), joinedload(Mandate.seat)).order_by(Seat.position, Mandate.id))
    return [MemberRow(mandate, status) for mandate, status in rows.unique()]


def instance_meetings_query(instance: Instance):
    return select(Meeting).where(Meeting.instance_id == instance.id).order_by(Meeting.starts_at.desc())
