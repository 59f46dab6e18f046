"""Instance types and their rules, instances and their seats (DESIGN.md §6). Re-exported by
``civicsante.mandates.services``, the one module callers use; the caller commits."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civicsante import audit
from civicsante.accounts.models import User
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates.models import (
    CDU,
    CDU_ONLY_SEAT_KINDS,
    MEDIATEUR_MEDECIN,
    MEDIATEUR_NON_MEDECIN,
    PRESIDENT,
    RU_SUPPLEANT,
    RU_TITULAIRE,
    SEAT_KINDS,
    Instance,
    InstanceType,
    Mandate,
    Seat,
)
from civicsante.reference.models import Establishment, Territory

PARIS = ZoneInfo("Europe/Paris")
# Bounds an admin may give a type's rules: no body has a term beyond 20 years.
MAX_TERM_MONTHS = 240
MAX_RENEWAL_CAP = 20
MAX_HOURS_PER_MONTH = 200


def paris_today() -> date:
    """Today's date in France: a term starts or ends on the French calendar day."""
    return datetime.now(PARIS).date()


def day_label(day: date) -> str:
    """A date inside a message, in the French numeric form."""
    return day.strftime("%d/%m/%Y")


def clean_text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str:
    """The text trimmed and single-spaced; refused when required and empty, or too long."""
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
    name = clean_text(name, "name", 150)
    designating_authority = clean_text(designating_authority, "designating_authority", 150)
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
    name = clean_text(name, "name", 200)
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
    label = clean_text(label, "label", 100, required=False)
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
