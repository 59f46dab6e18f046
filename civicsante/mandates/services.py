"""Use cases of mandates (DESIGN.md §6): instance types and their rules, instances and their
seats, mandates from proposal to end, the CDU's president and vice-president, association
contacts.

Each function checks its rule, changes the session and writes its audit row; the caller commits
(one transaction per request, or per ``remind`` run for ``refresh_statuses``).
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civicsante import audit
from civicsante.accounts import services as accounts
from civicsante.accounts.models import USER_REPRESENTATIVE, User
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates.models import (
    ACTIVE,
    CDU,
    CDU_ONLY_SEAT_KINDS,
    CDU_PRESIDENT_RENEWAL_CAP,
    DESIGNATED,
    END_REASONS,
    ENDED,
    HOLDING_STATUSES,
    MEDIATEUR_MEDECIN,
    MEDIATEUR_NON_MEDECIN,
    PRESIDENT,
    PROPOSED,
    RU_SUPPLEANT,
    RU_TITULAIRE,
    SEAT_CATEGORY,
    SEAT_KINDS,
    TERM_REACHED,
    AssociationContact,
    Instance,
    InstanceType,
    Mandate,
    Seat,
)
from civicsante.reference.models import Association, Establishment, Territory

PARIS = ZoneInfo("Europe/Paris")
# Bounds an admin may give a type's rules: no body has a term beyond 20 years.
MAX_TERM_MONTHS = 240
MAX_RENEWAL_CAP = 20
MAX_HOURS_PER_MONTH = 200
# Mandates not ended: they still claim their seat or their person's place in the instance.
LIVE_STATUSES = (PROPOSED, DESIGNATED, ACTIVE)


def paris_today() -> date:
    """Today's date in France: a term starts or ends on the French calendar day."""
    return datetime.now(PARIS).date()


def _day(day: date) -> str:
    """A date inside a message, in the French numeric form."""
    return day.strftime("%d/%m/%Y")


def _text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise DomainError(_l("This field is required."), field)
    if len(text) > max_length:
        raise DomainError(_l("This is too long (%(num)s characters at most).", num=max_length), field)
    return text


# Instance types ---------------------------------------------------------------------------------

def edit_instance_type(instance_type: InstanceType, *, name, designating_authority, term_months,
                       renewal_cap, hours_per_month, role_description, training_offered,
                       by: User) -> InstanceType:
    """Change a type's rules. The law fixes them per body (CDU 3 years renewable, R1112-83;
    conseil de surveillance 5 years, L6143-5; CTS 5 years renewable once) but they change with
    decrees, so they are data an admin edits. ``renewal_cap`` None means no limit, 0 means not
    renewable. A change applies to mandates proposed afterwards (existing end dates are kept)."""
    name = _text(name, "name", 150)
    designating_authority = _text(designating_authority, "designating_authority", 150)
    if term_months is None or not 1 <= term_months <= MAX_TERM_MONTHS:
        raise DomainError(_l("Give a term between 1 and %(num)s months.", num=MAX_TERM_MONTHS), "term_months")
    if renewal_cap is not None and not 0 <= renewal_cap <= MAX_RENEWAL_CAP:
        raise DomainError(_l("Give a number of renewals between 0 and %(num)s, or leave it empty for no limit.",
                             num=MAX_RENEWAL_CAP), "renewal_cap")
    if hours_per_month is None or not 0 <= hours_per_month <= MAX_HOURS_PER_MONTH:
        raise DomainError(_l("Give a number of hours between 0 and %(num)s.", num=MAX_HOURS_PER_MONTH),
                          "hours_per_month")
    before = {"term_months": instance_type.term_months, "renewal_cap": instance_type.renewal_cap}
    instance_type.name, instance_type.designating_authority = name, designating_authority
    instance_type.term_months, instance_type.renewal_cap = term_months, renewal_cap
    instance_type.hours_per_month = hours_per_month
    instance_type.role_description = (role_description or "").strip()
    instance_type.training_offered = (training_offered or "").strip()
    audit.record(by, "instance_type.edit", instance_type, before=before,
                 term_months=term_months, renewal_cap=renewal_cap)
    return instance_type


def compute_end_date(instance_type, starts_on: date) -> date:
    """The last day of a term starting on ``starts_on``: the day before its anniversary
    ``term_months`` later (3 years from 15 January 2024 end on 14 January 2027). When the
    anniversary day does not exist in its month (31 August + 6 months, 29 February + 3 years),
    the term runs to the end of that month. Pure: no database."""
    months = starts_on.month - 1 + instance_type.term_months
    year, month = starts_on.year + months // 12, months % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    if starts_on.day > last_day:
        return date(year, month, last_day)
    return date(year, month, starts_on.day) - timedelta(days=1)


# Instances and seats ----------------------------------------------------------------------------

def create_instance(*, type: InstanceType, name: str, establishment: Establishment | None = None,
                    territory: Territory | None = None, by: User) -> Instance:
    """An instance belongs to an establishment (its territory is then the establishment's) or to
    a territory. A CDU is always an establishment's (L1112-3: one per health establishment)."""
    if type is None:
        raise DomainError(_l("Choose a type of instance."), "type_id")
    name = _text(name, "name", 200)
    if establishment is None and territory is None:
        raise DomainError(_l("Choose an establishment or a territory."), "establishment_id")
    if type.code == CDU and establishment is None:
        raise DomainError(_l("A users' committee (CDU) belongs to an establishment."), "establishment_id")
    if establishment is not None:
        if territory is not None and territory.id != establishment.territory_id:
            raise DomainError(_l("An establishment's instance is in the establishment's territory: "
                                 "leave the territory empty."), "territory_id")
        territory = establishment.territory
    instance = Instance(type=type, name=name, establishment=establishment, territory=territory)
    db.session.add(instance)
    db.session.flush()
    audit.record(by, "instance.create", instance, type=type.code, establishment_id=instance.establishment_id,
                 territory_id=instance.territory_id)
    return instance


def _next_position(instance: Instance) -> int:
    last = db.session.execute(select(func.max(Seat.position)).where(Seat.instance_id == instance.id)).scalar()
    return 0 if last is None else last + 1


def create_default_seats(instance: Instance, by: User) -> list[Seat]:
    """The legal composition: for a CDU (R1112-81) 2 RU titulaires and 2 suppléants, each
    suppléant paired with a titulaire, a medical mediator, a non-medical mediator and the
    president (the legal representative or their appointee); for other bodies 2 titulaires and
    2 paired suppléants, the usual share of user seats. Refused when the instance has seats."""
    if db.session.execute(select(Seat.id).where(Seat.instance_id == instance.id).limit(1)).first():
        raise DomainError(_l("This instance already has seats."))
    plan = [(RU_TITULAIRE, "Titulaire 1", None), (RU_TITULAIRE, "Titulaire 2", None),
            (RU_SUPPLEANT, "Suppléant 1", 0), (RU_SUPPLEANT, "Suppléant 2", 1)]
    if instance.type.code == CDU:
        plan += [(MEDIATEUR_MEDECIN, "Médiateur médecin", None),
                 (MEDIATEUR_NON_MEDECIN, "Médiateur non médecin", None), (PRESIDENT, "Président", None)]
    seats: list[Seat] = []
    for position, (kind, label, pair) in enumerate(plan):
        seat = Seat(instance_id=instance.id, kind=kind, label=label, position=position,
                    titulaire_seat_id=seats[pair].id if pair is not None else None)
        db.session.add(seat)
        db.session.flush()
        seats.append(seat)
    audit.record(by, "seat.create_defaults", instance, seats=len(seats))
    return seats


def add_seat(instance: Instance, kind: str, label: str, titulaire_seat: Seat | None = None, *,
             by: User) -> Seat:
    """Add one seat. Mediator and president seats exist only in a CDU (R1112-81). A suppléant
    stands in for one titulaire seat of the same instance, and a titulaire has one suppléant."""
    if kind not in SEAT_KINDS:
        raise DomainError(_l("Choose a kind of seat."), "kind")
    if kind in CDU_ONLY_SEAT_KINDS and instance.type.code != CDU:
        raise DomainError(_l("Mediator and president seats exist only in a users' committee (CDU)."), "kind")
    label = _text(label, "label", 100, required=False)
    if titulaire_seat is not None:
        if kind != RU_SUPPLEANT:
            raise DomainError(_l("Only a substitute's seat is paired with a full member's seat."),
                              "titulaire_seat_id")
        if titulaire_seat.instance_id != instance.id or titulaire_seat.kind != RU_TITULAIRE:
            raise DomainError(_l("Pair the substitute with a full member's seat of this instance."),
                              "titulaire_seat_id")
        if db.session.execute(select(Seat.id).where(Seat.titulaire_seat_id == titulaire_seat.id)).first():
            raise DomainError(_l("This full member's seat already has a substitute."), "titulaire_seat_id")
    seat = Seat(instance_id=instance.id, kind=kind, label=label, position=_next_position(instance),
                titulaire_seat_id=titulaire_seat.id if titulaire_seat else None)
    db.session.add(seat)
    db.session.flush()
    audit.record(by, "seat.add", seat, instance_id=instance.id, kind=kind,
                 titulaire_seat_id=seat.titulaire_seat_id)
    return seat


def remove_seat(seat: Seat, *, by: User) -> None:
    """Remove a seat that never had a mandate: a seat with mandates is their history."""
    if db.session.execute(select(Mandate.id).where(Mandate.seat_id == seat.id).limit(1)).first():
        raise DomainError(_l("This seat has mandates: it cannot be removed."))
    audit.record(by, "seat.remove", seat, instance_id=seat.instance_id, kind=seat.kind)
    # The suppléant of a removed titulaire seat loses its pairing (the foreign key does the same).
    for paired in db.session.execute(select(Seat).where(Seat.titulaire_seat_id == seat.id)).scalars():
        paired.titulaire_seat_id = None
    db.session.delete(seat)
    db.session.flush()


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


def propose_mandate(*, seat: Seat, user: User, association: Association | None, starts_on: date,
                    ends_on: date | None = None, designation_authority: str = "",
                    designation_reference: str = "", designation_date: date | None = None,
                    renews: Mandate | None = None, by: User) -> Mandate:
    """Propose ``user`` for ``seat``. Only a member of an association agréée whose approval is
    valid on the start date may hold an RU seat (L1114-1). The end defaults to the type's term.
    A renewal (``renews``: the same person's earlier mandate in the instance) counts one more
    renewal than it, refused beyond the type's cap (CTS: once; a CDU presidency: twice)."""
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
        if not association.approval_valid_on(starts_on):
            raise DomainError(_l("The approval of this association is not valid on the start date "
                                 "(it expires on %(date)s).", date=_day(association.approval_expires_on)),
                              "association_id")
    renewal_count = 0
    if renews is not None:
        if renews.user_id != user.id or renews.seat.instance_id != seat.instance_id or renews.starts_on >= starts_on:
            raise DomainError(_l("A renewal follows an earlier mandate of the same person in the same instance."),
                              "renews_id")
        if db.session.execute(select(Mandate.id).where(Mandate.renews_id == renews.id).limit(1)).first():
            raise DomainError(_l("This mandate has already been renewed."), "renews_id")
        renewal_count = renews.renewal_count + 1
        cap = _renewal_cap(seat, renews)
        if cap is not None and renewal_count > cap:
            raise DomainError(_l("This mandate cannot be renewed again: the limit is %(num)s renewal(s).", num=cap),
                              "renews_id")
    _check_free(seat, user.id, starts_on, ends_on)
    mandate = Mandate(
        seat=seat, user=user, association=association, starts_on=starts_on, ends_on=ends_on, status=PROPOSED,
        designation_authority=_text(designation_authority, "designation_authority", 150, required=False)
        or seat.instance.type.designating_authority,
        designation_reference=_text(designation_reference, "designation_reference", 100, required=False),
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
    mandate.designation_authority = _text(authority, "authority", 150)
    mandate.designation_reference = _text(reference, "reference", 100)
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
                             date=_day(mandate.starts_on)))
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
                             start=_day(mandate.starts_on), end=_day(mandate.ends_on)),
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
