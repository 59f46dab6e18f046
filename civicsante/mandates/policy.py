"""Who may see and do what in the mandates area. Every function refuses by default.

A representative sees only their own desk, mandates, hours, leave and attestations; an approved
association's contact sees the mandates and the interested residents of their association; an
admin manages everything. Routes call these before acting, services call them again.
"""
from __future__ import annotations

from sqlalchemy import select

from civicsante.accounts.models import ADMIN, COMPLAINTS_OFFICER, USER_REPRESENTATIVE
from civicsante.extensions import db
from civicsante.mandates.models import (
    DESIGNATED,
    ACTIVE,
    ENDED,
    AssociationContact,
    Instance,
    Mandate,
    Meeting,
    Seat,
    SeatInterest,
)
from civicsante.reference.models import Association, Territory

# Mandates whose holder belongs to the instance's people (meetings, calendar): not a mere proposal.
SITTING_STATUSES = (DESIGNATED, ACTIVE, ENDED)


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user) -> bool:
    return _active(user) and user.has_role(ADMIN)


def can_manage_mandates(user) -> bool:
    """Instance types, instances, seats, mandates, association contacts: admins."""
    return is_admin(user)


def can_view_desk(user) -> bool:
    """The representative's desk: anyone holding the user-representative role (given with the
    first designation)."""
    return _active(user) and user.has_role(USER_REPRESENTATIVE)


def owns_mandate(user, mandate: Mandate) -> bool:
    return _active(user) and mandate.user_id == user.id


def contact_association_ids(user) -> set[int]:
    """The associations ``user`` is a contact of (one query)."""
    if not _active(user):
        return set()
    return set(db.session.execute(
        select(AssociationContact.association_id).where(AssociationContact.user_id == user.id)).scalars())


def is_association_contact(user, association_id: int | None = None) -> bool:
    ids = contact_association_ids(user)
    return bool(ids) if association_id is None else association_id in ids


def can_view_mandate(user, mandate: Mandate) -> bool:
    """Its holder, the contacts of the association that proposed it, and admins."""
    return (owns_mandate(user, mandate) or is_admin(user)
            or (mandate.association_id is not None and is_association_contact(user, mandate.association_id)))


def can_log_hours(user, mandate: Mandate) -> bool:
    """Only the holder logs their hours, on a mandate they sit (or sat) in."""
    return owns_mandate(user, mandate) and mandate.status in SITTING_STATUSES


def can_request_leave(user, mandate: Mandate) -> bool:
    return owns_mandate(user, mandate) and mandate.status in (DESIGNATED, ACTIVE)


def sits_in(user, instance_id: int) -> bool:
    """Whether ``user`` holds (or held) a non-proposed mandate in the instance."""
    if not _active(user):
        return False
    return db.session.execute(
        select(Mandate.id).join(Seat, Seat.id == Mandate.seat_id)
        .where(Mandate.user_id == user.id, Seat.instance_id == instance_id,
               Mandate.status.in_(SITTING_STATUSES)).limit(1)).first() is not None


def can_manage_meetings(user, instance: Instance) -> bool:
    """Admins; for an establishment's instance (its CDU), also its complaints office, which
    convenes the CDU, and the instance's president (R1112-88: the president convenes it)."""
    if is_admin(user):
        return True
    if not _active(user):
        return False
    if instance.establishment_id is not None and user.has_role(
            COMPLAINTS_OFFICER, establishment_id=instance.establishment_id):
        return True
    return db.session.execute(
        select(Mandate.id).join(Seat, Seat.id == Mandate.seat_id)
        .where(Mandate.user_id == user.id, Seat.instance_id == instance.id, Mandate.is_president,
               Mandate.status == ACTIVE).limit(1)).first() is not None


def can_view_meeting(user, meeting: Meeting) -> bool:
    """The instance's members, whoever manages its meetings."""
    return sits_in(user, meeting.instance_id) or can_manage_meetings(user, meeting.instance)


def association_covers(association: Association, territory: Territory) -> bool:
    """An association covers the territories inside its own (a national one without territory
    covers every territory)."""
    if association.territory is None:
        return True
    return territory.path.startswith(association.territory.path)


def can_view_association_people(user, association: Association) -> bool:
    """An association's mandates and the residents interested in its seats: its contacts, admins."""
    return is_admin(user) or is_association_contact(user, association.id)


def can_express_interest(user) -> bool:
    """Any signed-in resident may say they are interested in a vacant seat."""
    return _active(user)


def can_follow_up_interest(user, interest: SeatInterest) -> bool:
    """The contacts of an association covering the seat's territory, and admins."""
    if is_admin(user):
        return True
    ids = contact_association_ids(user)
    if not ids:
        return False
    territory = interest.seat.instance.territory
    associations = db.session.execute(select(Association).where(Association.id.in_(ids))).scalars()
    return any(association_covers(a, territory) for a in associations)
