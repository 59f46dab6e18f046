"""Residents' interest in vacant seats and its follow-up by the associations (issue 5, item 6).

Only an approved association (*association agréée*, L1114-1) may propose someone for a user-
representative seat, so a resident's "Je suis intéressé·e" goes to the contacts of the approved
associations of the seat's territory, who get in touch and record the follow-up.
"""
from __future__ import annotations

import json
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from civicsante import audit
from civicsante.accounts.models import User
from civicsante.accounts.services import register_personal_data
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.mandates import policy
from civicsante.mandates.alerts import SEAT_INTEREST_KIND
from civicsante.mandates.models import (
    INTEREST_STATUSES,
    RU_SEAT_KINDS,
    AssociationContact,
    Instance,
    Seat,
    SeatInterest,
)
from civicsante.mandates.vacancies import paris_today, vacancy_of
from civicsante.needs.models import Notification
from civicsante.reference.models import Association, Territory

MESSAGE_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 1000
# The board shows the seats a resident can take: user-representative seats (mediators and the
# president are appointed among the establishment's staff and members).
BOARD_SEAT_KINDS = RU_SEAT_KINDS


class AlreadyInterested(DomainError):
    """The person already said they are interested in this seat: not an error, told kindly."""


def on_board(seat: Seat, today: date | None = None) -> bool:
    """Whether the seat shows on the board: a user-representative seat vacant now or within
    ``BOARD_HORIZON_MONTHS``."""
    return seat.kind in BOARD_SEAT_KINDS and vacancy_of(seat, today or paris_today()) is not None


def covering_associations(territory: Territory, today: date) -> list[Association]:
    """The approved associations whose approval is valid ``today`` and whose territory covers
    ``territory`` (a national one covers all)."""
    candidates = db.session.execute(select(Association).options(joinedload(Association.territory))
                                    .where(Association.approval_expires_on >= today)).scalars()
    return [a for a in candidates if policy.association_covers(a, territory)]


def express_interest(seat: Seat, user: User, message: str, by: User, *, today: date | None = None) -> SeatInterest:
    """A resident says they are interested in a vacant seat: once per person and seat. The
    contacts of the approved associations covering the seat's territory are notified; by
    clicking, the person agrees that those contacts see their pseudonym and e-mail address."""
    today = today or paris_today()
    if by.id != user.id or not policy.can_express_interest(user):
        raise NotAllowed(_l("Only the person themselves can say they are interested."))
    if not on_board(seat, today):
        raise DomainError(_l("This seat is not vacant any more."))
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise DomainError(_l("At most %(num)s characters.", num=MESSAGE_MAX_LENGTH), "message")
    already = AlreadyInterested(_l("You have already said you are interested in this seat: the association "
                                   "will get in touch with you."))
    if db.session.execute(select(SeatInterest.id).where(SeatInterest.seat_id == seat.id,
                                                        SeatInterest.user_id == user.id)).first():
        raise already
    interest = SeatInterest(seat_id=seat.id, user_id=user.id, message=message)
    try:
        with db.session.begin_nested():  # a double click races the check above: the unique key decides
            db.session.add(interest)
            db.session.flush()
    except IntegrityError:
        raise already from None
    instance = seat.instance
    associations = covering_associations(instance.territory, today)
    contact_ids = set(db.session.execute(select(AssociationContact.user_id).where(
        AssociationContact.association_id.in_([a.id for a in associations]))).scalars()) if associations else set()
    detail = json.dumps({"instance": instance.name, "seat": seat.label or seat.kind, "seat_id": seat.id,
                         "person": user.public_name, "interest_id": interest.id}, ensure_ascii=False)
    for contact_id in sorted(contact_ids - {user.id}):
        db.session.add(Notification(user_id=contact_id, kind=SEAT_INTEREST_KIND, detail=detail))
    audit.record(by, "seat_interest.create", interest, seat_id=seat.id, notified=len(contact_ids - {user.id}))
    return interest


def interested_in(seat_ids: list[int], user) -> set[int]:
    """Which of these seats ``user`` already said they are interested in (one query)."""
    if not seat_ids or not policy.can_express_interest(user):
        return set()
    return set(db.session.execute(select(SeatInterest.seat_id).where(
        SeatInterest.user_id == user.id, SeatInterest.seat_id.in_(seat_ids))).scalars())


def _covered_territories(user):
    """A condition on ``Territory``: inside a territory one of the person's associations covers
    (everything for an admin or the contact of a national association; nothing otherwise)."""
    if policy.is_admin(user):
        return None
    ids = policy.contact_association_ids(user)
    if not ids:
        return false()
    associations = db.session.execute(select(Association).options(joinedload(Association.territory))
                                      .where(Association.id.in_(ids))).scalars().all()
    if any(a.territory is None for a in associations):
        return None
    return or_(*(Territory.path.startswith(a.territory.path) for a in associations))


def interests_for_contact(user, page: int = 1, per_page: int = 25):
    """The residents interested in seats of the territories the person's associations cover,
    newest first, one page (for a pagination): only for association contacts and admins."""
    if not (policy.is_admin(user) or policy.is_association_contact(user)):
        raise NotAllowed(_l("Only the contacts of an approved association see the interested residents."))
    query = (select(SeatInterest)
             .join(Seat, Seat.id == SeatInterest.seat_id).join(Instance, Instance.id == Seat.instance_id)
             .join(Territory, Territory.id == Instance.territory_id)
             .options(joinedload(SeatInterest.user),
                      joinedload(SeatInterest.seat).joinedload(Seat.instance).joinedload(Instance.territory))
             .order_by(SeatInterest.created_at.desc(), SeatInterest.id.desc()))
    condition = _covered_territories(user)
    if condition is not None:
        query = query.where(condition)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def follow_up_interest(interest: SeatInterest, status: str, note: str, by: User) -> SeatInterest:
    """An association contact records where they are with an interested resident (contacted,
    closed) and a note only the contacts see."""
    if not policy.can_follow_up_interest(by, interest):
        raise NotAllowed(_l("Only the contacts of an association of this territory follow this person up."))
    if status not in INTEREST_STATUSES:
        raise DomainError(_l("Choose a value from the list."), "status")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(_l("At most %(num)s characters.", num=NOTE_MAX_LENGTH), "note")
    interest.status, interest.follow_up_note, interest.followed_up_by_id = status, note, by.id
    audit.record(by, "seat_interest.follow_up", interest, status=status)
    return interest


# GDPR ------------------------------------------------------------------------------------------

def _export(user: User) -> dict:
    rows = db.session.execute(select(SeatInterest).options(joinedload(SeatInterest.seat).joinedload(Seat.instance))
                              .where(SeatInterest.user_id == user.id).order_by(SeatInterest.id)).scalars()
    return {"items": [{"instance": i.seat.instance.name, "seat": i.seat.label, "message": i.message,
                       "status": i.status, "created_at": i.created_at.isoformat()} for i in rows]}


def _erase(user: User) -> None:
    db.session.execute(delete(SeatInterest).where(SeatInterest.user_id == user.id))


register_personal_data("seat_interests", _export, _erase)
