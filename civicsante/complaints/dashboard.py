"""The deadlines dashboard of an establishment (issue 6, item 3): what is overdue and by how
many days, what is due within the week, sorted by urgency — overdue first, the most overdue
first, then the soonest due. Every transition keeps ``Complaint.due_on``/``due_step`` on the next
legal deadline (R1112-93, R1112-94, the reply after the session), so the list is one query on
``ix_complaint_establishment_due``; the counts by status are one grouped query on
``ix_complaint_establishment_status``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import false, func, or_, select

from civicsante.accounts.models import COMPLAINTS_OFFICER, MEDIATOR, RoleAssignment
from civicsante.complaints.models import STATUSES, TERMINAL_STATUSES, Complaint, Referral
from civicsante.complaints.policy import MEDIATOR_SEATS
from civicsante.extensions import db
from civicsante.mandates.models import ACTIVE, CDU, Instance, InstanceType, Mandate, Seat

# "This week": the deadlines falling today and in the next six days.
WEEK_DAYS = 7


def due_query(establishment_id: int, today: date):
    """Complaints of the establishment with a deadline before the end of the week (overdue ones
    included), most urgent first: ascending due date is exactly "most overdue first, then soonest
    due". A query to paginate."""
    return (select(Complaint)
            .where(Complaint.establishment_id == establishment_id, Complaint.due_on.is_not(None),
                   Complaint.due_on < today + timedelta(days=WEEK_DAYS),
                   Complaint.status.not_in(TERMINAL_STATUSES))
            .order_by(Complaint.due_on, Complaint.id))


@dataclass
class DueRow:
    complaint: Complaint
    days_overdue: int  # > 0 when overdue; 0 due today; < 0 days left

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def days_left(self) -> int:
        return -self.days_overdue


def due_rows(complaints, today: date) -> list[DueRow]:
    """The page's complaints with their delay, computed from the due date (no query)."""
    return [DueRow(c, (today - c.due_on).days) for c in complaints]


def counts_by_status(establishment_id: int) -> dict[str, int]:
    """status → number of complaints of the establishment, every status listed (one query)."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, number in db.session.execute(
            select(Complaint.status, func.count()).where(Complaint.establishment_id == establishment_id)
            .group_by(Complaint.status)):
        counts[status] = number
    return counts


def overdue_count(establishment_id: int, today: date) -> int:
    """How many open complaints are past their deadline (one indexed count)."""
    return db.session.execute(
        select(func.count()).select_from(Complaint)
        .where(Complaint.establishment_id == establishment_id, Complaint.due_on < today,
               Complaint.status.not_in(TERMINAL_STATUSES))).scalar_one()


def visible_complaints(user):
    """A WHERE clause on ``Complaint`` for the files ``user`` may open — the rule of
    ``policy.can_view_complaint`` as one query, for the staff list: their office's
    establishments, the complaints referred to them as a mediator of that establishment, the
    establishments of their CDU mandates (mediator seats excepted)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return false()
    offices = select(RoleAssignment.establishment_id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == COMPLAINTS_OFFICER)
    mediator_of = select(RoleAssignment.establishment_id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == MEDIATOR)
    referred = select(Referral.complaint_id).where(Referral.mediator_id == user.id)
    cdus = (select(Instance.establishment_id).join(Seat, Seat.instance_id == Instance.id)
            .join(Mandate, Mandate.seat_id == Seat.id).join(InstanceType, InstanceType.id == Instance.type_id)
            .where(Mandate.user_id == user.id, Mandate.status == ACTIVE, InstanceType.code == CDU,
                   Seat.kind.not_in(MEDIATOR_SEATS)))
    return or_(Complaint.establishment_id.in_(offices),
               Complaint.id.in_(referred) & Complaint.establishment_id.in_(mediator_of),
               Complaint.establishment_id.in_(cdus))


def followed_establishments(user) -> list:
    """The establishments whose dashboard and sessions ``user`` manages — their complaints
    office, or the presidency of their CDU (policy.can_view_dashboard) — by name (one query)."""
    from civicsante.reference.models import Establishment

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    offices = select(RoleAssignment.establishment_id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == COMPLAINTS_OFFICER)
    presided = (select(Instance.establishment_id).join(Seat, Seat.instance_id == Instance.id)
                .join(Mandate, Mandate.seat_id == Seat.id).join(InstanceType, InstanceType.id == Instance.type_id)
                .where(Mandate.user_id == user.id, Mandate.status == ACTIVE, Mandate.is_president.is_(True),
                       InstanceType.code == CDU))
    return list(db.session.execute(
        select(Establishment).where(or_(Establishment.id.in_(offices), Establishment.id.in_(presided)))
        .order_by(Establishment.name)).scalars())
