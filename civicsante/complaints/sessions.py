"""CDU sessions (issue 6, item 4; DESIGN.md §5): a session IS a mandates ``Meeting`` of the
establishment's CDU instance, so scheduling, the agenda notice (R1112-88: sent ≥ 8 days before,
≥ 1 clear day when urgent) and attendance are the mandates area's (civicsante.mandates.meetings).
What this module adds: the warning when the next quarter has no session (R1112-88: at least
quarterly), the complaints awaiting examination, putting one on an agenda (the lifecycle's
``put_on_agenda``), and recusal (R1112-87): a member concerned by a complaint does not sit on its
item, and the suppléant of their seat is invited instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from civicsante import audit
from civicsante.complaints import notify, policy
from civicsante.complaints.models import REPORT_FORWARDED, Complaint, Recusal, SessionItem
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.mandates.desk import paris_date
from civicsante.mandates.meetings import meeting_members
from civicsante.mandates.models import HOLDING_STATUSES, RU_TITULAIRE, Instance, Mandate, Meeting, Seat
from civicsante.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
# The "action" of the staff notification inviting the suppléant to sit on the item in place of the
# recused member (kind "complaint", worded by complaints.notify).
SUBSTITUTE_ACTION = "recuse"
REASON_MAX = 300


def cdu_instance(establishment_id: int) -> Instance | None:
    """The establishment's CDU instance (the one the policy reads members from)."""
    instance_id = policy.cdu_instance_id(establishment_id)
    return db.session.get(Instance, instance_id) if instance_id else None


def cdu_sessions(establishment_id: int):
    """The sessions of the establishment's CDU, latest first (a query to paginate; indexed by
    ix_meeting_instance_starts). Empty when the establishment has no CDU."""
    instance_id = policy.cdu_instance_id(establishment_id)
    return (select(Meeting).where(Meeting.instance_id == (instance_id or -1))
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc()))


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter(today: date) -> tuple[date, date]:
    """The next calendar quarter after ``today``'s: (first day, first day of the one after)."""
    start = _quarter_start(today)
    first = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    after = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, after


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, PARIS)


def quarter_warning(establishment_id: int, today: date):
    """R1112-88: the CDU meets at least once a quarter. A message when the next calendar quarter
    (Paris dates) has no session scheduled yet, else None. Not a refusal: a reminder to convene."""
    instance_id = policy.cdu_instance_id(establishment_id)
    if instance_id is None:
        return None
    first, after = next_quarter(today)
    scheduled = db.session.execute(
        select(Meeting.id).where(Meeting.instance_id == instance_id,
                                 Meeting.starts_at >= _paris_midnight(first),
                                 Meeting.starts_at < _paris_midnight(after)).limit(1)).first()
    if scheduled is not None:
        return None
    return _l("No CDU session is scheduled for the next quarter (%(quarter)s %(year)s): the CDU must meet "
              "at least once a quarter.", quarter=f"T{(first.month - 1) // 3 + 1}", year=first.year)


def awaiting_examination(establishment_id: int):
    """Complaints whose mediator's report was forwarded (R1112-94) and that are on no session's
    agenda yet, oldest first (a query to paginate)."""
    on_agenda = exists().where(SessionItem.complaint_id == Complaint.id)
    return (select(Complaint).where(Complaint.establishment_id == establishment_id,
                                    Complaint.status == REPORT_FORWARDED, ~on_agenda)
            .order_by(Complaint.received_at, Complaint.id))


def session_items(meeting: Meeting) -> list[SessionItem]:
    """The complaints on a session's agenda, in their order, with the complaint (one query)."""
    return list(db.session.execute(
        select(SessionItem).options(joinedload(SessionItem.complaint))
        .where(SessionItem.meeting_id == meeting.id)
        .order_by(SessionItem.position, SessionItem.id)).scalars())


def put_on_agenda(complaint: Complaint, *, meeting: Meeting, by) -> SessionItem:
    """A complaint awaiting examination goes on a session of its own establishment's CDU; the
    transition itself (report_forwarded → awaiting_cdu) is the lifecycle's."""
    if meeting.instance_id != policy.cdu_instance_id(complaint.establishment_id):
        raise DomainError(_l("This session is not one of this establishment's CDU."), "meeting_id")
    from civicsante.complaints import lifecycle  # the lifecycle imports the models this module does

    return lifecycle.put_on_agenda(complaint, meeting=meeting, by=by)


def _recusals(item_ids) -> list[Recusal]:
    if not item_ids:
        return []
    return list(db.session.execute(
        select(Recusal).options(joinedload(Recusal.mandate).joinedload(Mandate.user),
                                joinedload(Recusal.substitute_mandate).joinedload(Mandate.user))
        .where(Recusal.item_id.in_(list(item_ids))).order_by(Recusal.id)).scalars())


def recusals_by_item(items) -> dict[int, list[Recusal]]:
    """item id → its recusals (one query for a whole agenda)."""
    found: dict[int, list[Recusal]] = {item.id: [] for item in items}
    for recusal in _recusals(found.keys()):
        found[recusal.item_id].append(recusal)
    return found


def substitute_for(mandate: Mandate, day: date) -> Mandate | None:
    """The current holder of the suppléant seat paired with ``mandate``'s titulaire seat
    (``Seat.titulaire_seat_id``) on ``day``; None for a suppléant or an empty seat."""
    if mandate.seat.kind != RU_TITULAIRE:
        return None
    return db.session.execute(
        select(Mandate).join(Seat, Seat.id == Mandate.seat_id)
        .where(Seat.titulaire_seat_id == mandate.seat_id, Mandate.status.in_(HOLDING_STATUSES),
               Mandate.starts_on <= day, Mandate.ends_on >= day)
        .order_by(Seat.position, Mandate.id).limit(1)).scalar()


def recuse(item: SessionItem, *, mandate: Mandate, reason: str, by) -> Recusal:
    """R1112-87: a member concerned by a complaint does not sit on its item. Their substitute is
    the current holder of the suppléant seat paired with their titulaire seat, invited by an
    in-app notification; a recused suppléant, or a titulaire whose suppléant seat is empty, has
    no substitute (``substitute_mandate_id`` None: the page says so). The reason stays out of the
    audit log (it may speak of the complaint)."""
    meeting = item.meeting
    complaint = item.complaint
    if not policy.can_manage_sessions(by, complaint.establishment_id):
        raise NotAllowed(_l("You do not manage this CDU's sessions."))
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise DomainError(_l("Keep it under %(max)s characters.", max=REASON_MAX), "reason")
    sitting = {row.mandate.id for row in meeting_members(meeting)}
    if mandate.id not in sitting:
        raise DomainError(_l("This person does not sit in the CDU on the day of the session."), "mandate_id")
    already = db.session.execute(select(Recusal.id).where(Recusal.item_id == item.id,
                                                          Recusal.mandate_id == mandate.id)).first()
    if already is not None:
        raise DomainError(_l("This member is already recused from this complaint."), "mandate_id")
    substitute = substitute_for(mandate, paris_date(meeting.starts_at))
    recusal = Recusal(item_id=item.id, mandate_id=mandate.id, reason=reason, recorded_by_id=by.id,
                      substitute_mandate_id=substitute.id if substitute else None)
    db.session.add(recusal)
    db.session.flush()
    if substitute is not None:
        # The complaints area's staff notification: the reference only, no complaint text.
        notify.tell_staff(complaint, SUBSTITUTE_ACTION, [substitute.user_id], utcnow())
    audit.record(by, "complaint.recusal", complaint, item_id=item.id, meeting_id=meeting.id,
                 mandate_id=mandate.id, substitute_mandate_id=substitute.id if substitute else None)
    return recusal


@dataclass
class ItemMember:
    mandate: Mandate
    substitute_for: Mandate | None = None  # set when they sit in place of a recused member


def _sitting_on(members, recusals: list[Recusal]) -> list[ItemMember]:
    recused = {r.mandate_id for r in recusals}
    sitting = [ItemMember(row.mandate) for row in members if row.mandate.id not in recused]
    present = {m.mandate.id: m for m in sitting}
    for recusal in recusals:
        if recusal.substitute_mandate is None:
            continue
        if recusal.substitute_mandate_id in present:  # a suppléant already in the room now sits for them
            present[recusal.substitute_mandate_id].substitute_for = recusal.mandate
        else:
            member = ItemMember(recusal.substitute_mandate, substitute_for=recusal.mandate)
            sitting.append(member)
            present[member.mandate.id] = member
    return sitting


def item_members(item: SessionItem) -> list[ItemMember]:
    """Who sits on an item: the session's members minus those recused from it, plus the
    substitutes invited in their place (two queries)."""
    return _sitting_on(meeting_members(item.meeting), _recusals([item.id]))


@dataclass
class AgendaRow:
    item: SessionItem
    recusals: list[Recusal]
    members: list[ItemMember]


def agenda(meeting: Meeting) -> list[AgendaRow]:
    """The session's items with their recusals and who sits on each (three queries, whatever
    the number of items)."""
    items = session_items(meeting)
    members = meeting_members(meeting)
    recusals = recusals_by_item(items)
    return [AgendaRow(item, recusals[item.id], _sitting_on(members, recusals[item.id])) for item in items]
