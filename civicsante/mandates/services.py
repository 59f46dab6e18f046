"""Use cases of mandates (DESIGN.md §6): mandates from proposal to end, the CDU's president and
vice-president, the daily refresh of statuses, association contacts — and, re-exported from
``instances.py``, instance types and their rules, instances and their seats.

Each function checks its rule, changes the session and writes its audit row; the caller commits
(one transaction per request, or per ``remind`` run for ``refresh_statuses``).
"""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import select
from sqlalchemy.orm import aliased

from civicsante import audit
from civicsante.accounts import services as accounts
from civicsante.accounts.models import USER_REPRESENTATIVE, User
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates.instances import (  # noqa: F401  (re-exported: one module for callers)
    MAX_HOURS_PER_MONTH,
    MAX_RENEWAL_CAP,
    MAX_TERM_MONTHS,
    add_seat,
    clean_text,
    compute_end_date,
    create_default_seats,
    create_instance,
    day_label,
    edit_instance_type,
    paris_today,
    remove_seat,
)
from civicsante.mandates.models import (
    ACTIVE,
    CDU,
    CDU_PRESIDENT_RENEWAL_CAP,
    DESIGNATED,
    END_REASONS,
    ENDED,
    HOLDING_STATUSES,
    PROPOSED,
    SEAT_CATEGORY,
    TERM_REACHED,
    AssociationContact,
    Mandate,
    Seat,
)
from civicsante.mandates.policy import association_covers
from civicsante.reference.models import Association

# Mandates not ended: they still claim their seat or their person's place in the instance.
LIVE_STATUSES = (PROPOSED, DESIGNATED, ACTIVE)

# Mandates ---------------------------------------------------------------------------------------

def _overlapping(query, starts_on: date, ends_on: date, exclude_id: int | None):
    query = query.where(Mandate.starts_on <= ends_on, Mandate.ends_on >= starts_on)
    if exclude_id is not None:
        query = query.where(Mandate.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def _check_free(seat: Seat, user_id: int, starts_on: date, ends_on: date, exclude_id: int | None = None):
    """One holder per seat at a time; one seat per person in an instance at a time (a titulaire
    is not also their own suppléant)."""
    if _overlapping(select(Mandate.id).where(Mandate.seat_id == seat.id, Mandate.status.in_(HOLDING_STATUSES)),
                    starts_on, ends_on, exclude_id):
        raise DomainError(_l("Someone already holds this seat over these dates."), "starts_on")
    if _overlapping(select(Mandate.id).join(Seat, Seat.id == Mandate.seat_id)
                    .where(Seat.instance_id == seat.instance_id, Mandate.user_id == user_id,
                           Mandate.status.in_(LIVE_STATUSES)), starts_on, ends_on, exclude_id):
        raise DomainError(_l("This person already has a seat in this instance over these dates."), "email")


def _renewal_cap(seat: Seat, renews: Mandate) -> int | None:
    """The type's cap; for a CDU presidency, also the president's (3 years, renewable twice)."""
    caps = [seat.instance.type.renewal_cap]
    if seat.instance.type.code == CDU and renews.is_president:
        caps.append(CDU_PRESIDENT_RENEWAL_CAP)
    known = [cap for cap in caps if cap is not None]
    return min(known) if known else None


def _consecutive(seat: Seat, user: User, starts_on: date) -> Mandate | None:
    """The same person's mandate in the instance that ends the day before ``starts_on``: a new
    term straight after it is a renewal, whether or not the admin says so."""
    renewal = aliased(Mandate)
    return db.session.execute(
        select(Mandate).join(Seat, Seat.id == Mandate.seat_id)
        .where(Seat.instance_id == seat.instance_id, Mandate.user_id == user.id,
               Mandate.status.in_((DESIGNATED, ACTIVE, ENDED)), Mandate.ends_on == starts_on - timedelta(days=1),
               ~select(renewal.id).where(renewal.renews_id == Mandate.id).exists())
        .limit(1)).scalars().first()


def _renewal(seat: Seat, user: User, starts_on: date, renews: Mandate | None) -> tuple[Mandate | None, int]:
    """The mandate renewed and the new renewal count, refused beyond the cap."""
    field = "renews_id" if renews is not None else "starts_on"
    renews = renews or _consecutive(seat, user, starts_on)
    if renews is None:
        return None, 0
    if renews.user_id != user.id or renews.seat.instance_id != seat.instance_id or renews.starts_on >= starts_on:
        raise DomainError(_l("A renewal follows an earlier mandate of the same person in the same instance."), field)
    if db.session.execute(select(Mandate.id).where(Mandate.renews_id == renews.id).limit(1)).first():
        raise DomainError(_l("This mandate has already been renewed."), field)
    cap = _renewal_cap(seat, renews)
    if cap == 0:
        raise DomainError(_l("Mandates of this type are not renewable."), field)
    if cap is not None and renews.renewal_count + 1 > cap:
        raise DomainError(_ln("This mandate cannot be renewed again: it may be renewed %(num)s time.",
                              "This mandate cannot be renewed again: it may be renewed %(num)s times.", cap), field)
    return renews, renews.renewal_count + 1


def propose_mandate(*, seat: Seat, user: User, association: Association | None, starts_on: date,
                    ends_on: date | None = None, designation_authority: str = "",
                    designation_reference: str = "", designation_date: date | None = None,
                    renews: Mandate | None = None, by: User) -> Mandate:
    """Propose ``user`` for ``seat``. Only a member of an association agréée whose approval is
    valid on the start date, and covers the instance's territory (a regional approval covers its
    region), may hold an RU seat (L1114-1). The end defaults to the type's term.
    A renewal (``renews``: the same person's earlier mandate in the instance; found by itself
    when the new term starts the day after it) counts one more renewal than it, refused beyond
    the type's cap (CTS: once; a CDU presidency: twice)."""
    if user is None or not user.is_active:
        raise DomainError(_l("Choose an active account."), "email")
    if starts_on is None:
        raise DomainError(_l("This field is required."), "starts_on")
    ends_on = ends_on or compute_end_date(seat.instance.type, starts_on)
    if ends_on < starts_on:
        raise DomainError(_l("The end comes before the start."), "ends_on")
    if seat.is_ru:
        if association is None:
            raise DomainError(_l("A user representative is proposed by an approved association."),
                              "association_id")
        if not association_covers(association, seat.instance.territory):
            raise DomainError(_l("This association's regional approval does not cover the territory of the "
                                 "instance."), "association_id")
        if not association.approval_valid_on(starts_on):
            raise DomainError(_l("The approval of this association is not valid on the start date "
                                 "(it expires on %(date)s).", date=day_label(association.approval_expires_on)),
                              "association_id")
    renews, renewal_count = _renewal(seat, user, starts_on, renews)
    _check_free(seat, user.id, starts_on, ends_on)
    mandate = Mandate(
        seat=seat, user=user, association=association, starts_on=starts_on, ends_on=ends_on, status=PROPOSED,
        designation_authority=clean_text(designation_authority, "designation_authority", 150, required=False)
        or seat.instance.type.designating_authority,
        designation_reference=clean_text(designation_reference, "designation_reference", 100, required=False),
        designation_date=designation_date, renewal_count=renewal_count, renews=renews,
        is_president=bool(renews and renews.is_president and seat.instance.type.code == CDU))
    db.session.add(mandate)
    db.session.flush()
    audit.record(by, "mandate.propose", mandate, seat_id=seat.id, user_id=user.id,
                 association_id=mandate.association_id, renews_id=mandate.renews_id, renewal_count=renewal_count)
    return mandate


def _status(mandate: Mandate, *expected: str) -> None:
    if mandate.status not in expected:
        raise DomainError(_l("This mandate is not at the right stage for this."))


def designate(mandate: Mandate, *, authority: str, reference: str, designation_date: date | None,
              by: User) -> Mandate:
    """Record the designation act (the DG ARS's order for a CDU, the préfet's for a conseil de
    surveillance): proposé → désigné. The holder gets the user-representative role, which opens
    their desk."""
    _status(mandate, PROPOSED)
    mandate.designation_authority = clean_text(authority, "authority", 150)
    mandate.designation_reference = clean_text(reference, "reference", 100)
    if designation_date is None:
        raise DomainError(_l("This field is required."), "designation_date")
    if designation_date > paris_today():
        raise DomainError(_l("The designation date cannot be in the future."), "designation_date")
    mandate.designation_date = designation_date
    _check_free(mandate.seat, mandate.user_id, mandate.starts_on, mandate.ends_on, exclude_id=mandate.id)
    mandate.status = DESIGNATED
    audit.record(by, "mandate.designate", mandate, reference=mandate.designation_reference)
    if not mandate.user.has_role(USER_REPRESENTATIVE):
        accounts.grant_role(mandate.user, USER_REPRESENTATIVE, accounts.RoleScope(), by=by)
    return mandate


def activate(mandate: Mandate, by: User, *, today: date | None = None) -> Mandate:
    """désigné → actif, from the start date on (``refresh_statuses`` does it daily too)."""
    _status(mandate, DESIGNATED)
    if mandate.starts_on > (today or paris_today()):
        raise DomainError(_l("The mandate starts on %(date)s: it cannot be active before.",
                             date=day_label(mandate.starts_on)))
    mandate.status = ACTIVE
    audit.record(by, "mandate.activate", mandate)
    return mandate


def end_mandate(mandate: Mandate, *, reason: str, ended_on: date | None, by: User) -> Mandate:
    """End a mandate: at its term (échéance), by resignation (démission) or early (fin anticipée).
    An early end shortens ``ends_on`` so the seat shows vacant from the next day."""
    _status(mandate, *LIVE_STATUSES)
    if reason not in END_REASONS:
        raise DomainError(_l("Choose why the mandate ends."), "reason")
    if ended_on is None:
        raise DomainError(_l("This field is required."), "ended_on")
    if not mandate.starts_on <= ended_on <= mandate.ends_on:
        raise DomainError(_l("The end date must fall within the mandate (%(start)s to %(end)s).",
                             start=day_label(mandate.starts_on), end=day_label(mandate.ends_on)),
                          "ended_on")
    if reason == TERM_REACHED and ended_on != mandate.ends_on:
        raise DomainError(_l("A mandate ended before its term is a resignation or an early end."), "reason")
    mandate.status, mandate.end_reason, mandate.ended_on = ENDED, reason, ended_on
    mandate.ends_on = ended_on
    audit.record(by, "mandate.end", mandate, reason=reason, ended_on=ended_on)
    return mandate


def renew_mandate(mandate: Mandate, *, starts_on: date | None = None, by: User) -> Mandate:
    """Propose the same person for a new term on the same seat, from the day after the end;
    the renewal cap of the type is enforced by ``propose_mandate``."""
    return propose_mandate(seat=mandate.seat, user=mandate.user, association=mandate.association,
                           starts_on=starts_on or mandate.ends_on + timedelta(days=1), renews=mandate, by=by)


def _office_holder(instance_id: int, flag, mandate: Mandate) -> Mandate | None:
    """Who else holds the office (president or VP) over an overlapping period."""
    return db.session.execute(
        select(Mandate).join(Seat, Seat.id == Mandate.seat_id)
        .where(Seat.instance_id == instance_id, flag.is_(True), Mandate.id != mandate.id,
               Mandate.status.in_(LIVE_STATUSES), Mandate.starts_on <= mandate.ends_on,
               Mandate.ends_on >= mandate.starts_on).limit(1)).scalars().first()


def set_office(mandate: Mandate, *, president: bool, vice_president: bool, by: User) -> Mandate:
    """The CDU elects its president among the legal representative, the mediators and the user
    representatives, and its vice-president from another of these categories (R1112-87). One
    president and one vice-president at a time."""
    seat = mandate.seat
    if seat.instance.type.code != CDU:
        raise DomainError(_l("Only a users' committee (CDU) has a president and a vice-president."))
    _status(mandate, *HOLDING_STATUSES)
    if president and vice_president:
        raise DomainError(_l("One person cannot be both president and vice-president."), "vice_president")
    category = SEAT_CATEGORY.get(seat.kind)
    if (president or vice_president) and category is None:
        raise DomainError(_l("This seat cannot hold an office."), "president")
    instance_id = seat.instance_id
    if president:
        if _office_holder(instance_id, Mandate.is_president, mandate):
            raise DomainError(_l("The committee already has a president."), "president")
        vp = _office_holder(instance_id, Mandate.is_vice_president, mandate)
        if vp is not None and SEAT_CATEGORY.get(vp.seat.kind) == category:
            raise DomainError(_l("The president must come from another category than the vice-president."),
                              "president")
    if vice_president:
        if _office_holder(instance_id, Mandate.is_vice_president, mandate):
            raise DomainError(_l("The committee already has a vice-president."), "vice_president")
        chair = _office_holder(instance_id, Mandate.is_president, mandate)
        if chair is not None and SEAT_CATEGORY.get(chair.seat.kind) == category:
            raise DomainError(_l("The vice-president must come from another category than the president."),
                              "vice_president")
    mandate.is_president, mandate.is_vice_president = president, vice_president
    audit.record(by, "mandate.set_office", mandate, president=president, vice_president=vice_president)
    return mandate


def refresh_statuses(today: date) -> int:
    """The calendar's effect, run daily by ``remind``: a designated mandate becomes active on its
    start date; a designated or active mandate past its end date ends (échéance). Answers how
    many mandates changed; the caller commits."""
    changed = 0
    starting = db.session.execute(select(Mandate).where(
        Mandate.status == DESIGNATED, Mandate.starts_on <= today, Mandate.ends_on >= today)).scalars().all()
    for mandate in starting:
        mandate.status = ACTIVE
        audit.record(None, "mandate.activate", mandate, automatic=True)
        changed += 1
    ending = db.session.execute(select(Mandate).where(
        Mandate.status.in_(HOLDING_STATUSES), Mandate.ends_on < today)).scalars().all()
    for mandate in ending:
        mandate.status, mandate.end_reason, mandate.ended_on = ENDED, TERM_REACHED, mandate.ends_on
        audit.record(None, "mandate.end", mandate, reason=TERM_REACHED, automatic=True)
        changed += 1
    db.session.flush()
    return changed


# Association contacts ---------------------------------------------------------------------------

def add_association_contact(association: Association, user: User | None, by: User) -> AssociationContact:
    """Make ``user`` a contact of the association: they get its representatives' alerts and
    the residents interested in its seats."""
    if user is None or not user.is_active:
        raise DomainError(_l("Choose an active account."), "email")
    if db.session.execute(select(AssociationContact.id).where(
            AssociationContact.association_id == association.id, AssociationContact.user_id == user.id)).first():
        raise DomainError(_l("This person is already a contact of the association."), "email")
    contact = AssociationContact(association_id=association.id, user_id=user.id)
    db.session.add(contact)
    db.session.flush()
    audit.record(by, "association.contact_add", contact, association_id=association.id, user_id=user.id)
    return contact


def remove_association_contact(contact: AssociationContact, by: User) -> None:
    audit.record(by, "association.contact_remove", contact, association_id=contact.association_id,
                 user_id=contact.user_id)
    db.session.delete(contact)
    db.session.flush()
