"""Representativeness, in aggregate (issue 5, item 7): how many seats are filled or vacant per
instance type and territory, who the representatives are (age band, sex, employment status, from
the optional profile answers), and how the filled seats evolved.

Nobody can be singled out: a group of people is shown only when it counts at least
``MIN_GROUP_SIZE`` people (otherwise "fewer than 10"), and when exactly one group of a breakdown
is hidden, the smallest shown one is hidden too, so the hidden one cannot be had by subtracting
the others from the total. Seat counts are not about people and are always shown.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select

from civicsante import audit
from civicsante.accounts.models import AGE_BANDS, EMPLOYMENT_STATUSES, SEXES, User
from civicsante.accounts.services import register_personal_data
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates.models import HOLDING_STATUSES, Instance, InstanceType, Mandate, Seat
from civicsante.mandates.vacancies import HELD_STATUSES
from civicsante.reference.models import Territory

# A figure about people is published only for a group of at least this many (statistical secrecy).
MIN_GROUP_SIZE = 10
# The evolution covers 1 January of each of these last years, and today.
EVOLUTION_YEARS = 5
# The group of the people who did not answer (the profile questions are optional).
NOT_STATED = "non_renseigne"


@dataclass
class SeatRow:
    key: object
    label: str
    filled: int
    vacant: int

    @property
    def total(self) -> int:
        return self.filled + self.vacant


@dataclass
class GroupRow:
    """``count`` is None when the group is too small to be shown."""

    key: str
    count: int | None


@dataclass
class Figures:
    today: date
    by_type: list[SeatRow]
    by_territory: list[SeatRow]
    representatives: int | None  # None: fewer than MIN_GROUP_SIZE people
    age_band: list[GroupRow]
    sex: list[GroupRow]
    employment: list[GroupRow]
    evolution: list[SeatRow]  # key: the day


def suppress(counts: dict[str, int], keys) -> list[GroupRow]:
    """Groups of fewer than ``MIN_GROUP_SIZE`` hidden; if exactly one is hidden, the smallest shown
    one too (else total − shown = the hidden one)."""
    rows = [GroupRow(key, counts.get(key, 0)) for key in keys]
    hidden = [r for r in rows if r.count < MIN_GROUP_SIZE]
    if len(hidden) == 1 and len(rows) > 1:
        shown = [r for r in rows if r.count >= MIN_GROUP_SIZE]
        min(shown, key=lambda r: r.count).count = None
    for row in hidden:
        row.count = None
    return rows


def _filled_today(today: date):
    return exists().where(Mandate.seat_id == Seat.id, Mandate.status.in_(HOLDING_STATUSES),
                          Mandate.starts_on <= today, Mandate.ends_on >= today)


def _held_on(day: date):
    """A mandate designated or active covered the seat on ``day`` (ended ones count for their
    past days, up to their early end when there was one)."""
    return exists().where(Mandate.seat_id == Seat.id, Mandate.status.in_(HELD_STATUSES),
                          Mandate.starts_on <= day, func.coalesce(Mandate.ended_on, Mandate.ends_on) >= day)


def _seat_rows(today: date, key, label) -> list[SeatRow]:
    filled = _filled_today(today)
    query = (select(key.label("key"), label.label("label"), func.count(Seat.id).label("seats"),
                    func.sum(case((filled, 1), else_=0)).label("filled"))
             .select_from(Seat).join(Instance, Instance.id == Seat.instance_id)
             .join(InstanceType, InstanceType.id == Instance.type_id)
             .join(Territory, Territory.id == Instance.territory_id)
             .group_by(key, label).order_by(label))
    return [SeatRow(r.key, r.label, int(r.filled or 0), r.seats - int(r.filled or 0))
            for r in db.session.execute(query)]


def evolution_days(today: date) -> list[date]:
    return [date(today.year - n, 1, 1) for n in range(EVOLUTION_YEARS, 0, -1)] + [today]


def _evolution(today: date) -> list[SeatRow]:
    """Filled and vacant seats on each day of ``evolution_days`` in one query. Today's seats are
    counted on every day (seats have no creation date of their own)."""
    days = evolution_days(today)
    columns = [func.sum(case((_filled_today(today) if day == today else _held_on(day), 1), else_=0))
               for day in days]
    row = db.session.execute(select(func.count(Seat.id), *columns).select_from(Seat)).one()
    total = row[0]
    return [SeatRow(day, day.isoformat(), int(row[i + 1] or 0), total - int(row[i + 1] or 0))
            for i, day in enumerate(days)]


def representativeness(today: date) -> Figures:
    """The figures of the public page and its CSV (five queries, whatever the size)."""
    people = db.session.execute(
        select(User.id, User.age_band, User.sex, User.employment_status).distinct()
        .join(Mandate, Mandate.user_id == User.id)
        .where(Mandate.status.in_(HOLDING_STATUSES), Mandate.starts_on <= today, Mandate.ends_on >= today)).all()
    count = len(people)
    small = count < MIN_GROUP_SIZE

    def breakdown(attribute: str, keys) -> list[GroupRow]:
        counts = Counter(getattr(p, attribute) or NOT_STATED for p in people)
        rows = suppress(counts, (*keys, NOT_STATED))
        if small:  # fewer than 10 in all: no breakdown at all
            for row in rows:
                row.count = None
        return rows

    return Figures(
        today=today,
        by_type=_seat_rows(today, InstanceType.code, InstanceType.name),
        by_territory=_seat_rows(today, Territory.id, Territory.name),
        representatives=None if small else count,
        age_band=breakdown("age_band", AGE_BANDS),
        sex=breakdown("sex", SEXES),
        employment=breakdown("employment_status", EMPLOYMENT_STATUSES),
        evolution=_evolution(today),
    )


# The profile's employment status -----------------------------------------------------------------

def record_employment_status(user: User, employment_status: str | None) -> None:
    """The optional employment status of the profile, only ever used in these figures."""
    if employment_status and employment_status not in EMPLOYMENT_STATUSES:
        raise DomainError(_l("Choose a value from the list."), "employment_status")
    value = employment_status or None
    if user.employment_status != value:
        user.employment_status = value
        audit.record(user, "account.employment_status_update", user)


def _export(user: User) -> dict:
    return {"employment_status": user.employment_status}


def _erase(user: User) -> None:
    user.employment_status = None


register_personal_data("representativeness_profile", _export, _erase)
