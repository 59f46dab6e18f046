"""Which seats are vacant, now or soon: the public board (issue 5, item 6), the "seat without a
holder" alert and the representativeness figures share this one rule.

A seat is vacant on a day when no mandate in ``HOLDING_STATUSES`` (designated or active) covers
that day (``starts_on`` ≤ day ≤ ``ends_on``). A proposal does not fill a seat: the authority has
not designated anyone yet.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from math import ceil

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from civicsante.extensions import db
from civicsante.mandates.models import (
    ACTIVE,
    BOARD_HORIZON_MONTHS,
    DESIGNATED,
    ENDED,
    HOLDING_STATUSES,
    Instance,
    InstanceType,
    Mandate,
    Seat,
)
from civicsante.reference.models import Territory

PARIS = ZoneInfo("Europe/Paris")
# Mandates that once filled the seat: when it fell vacant is the day after the last one ended.
HELD_STATUSES = (DESIGNATED, ACTIVE, ENDED)


def paris_today() -> date:
    """Today on the French calendar: a seat falls vacant on a French calendar day."""
    return datetime.now(PARIS).date()


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Vacancy:
    """A seat without a holder today (``vacant_now``) or from ``vacant_from`` (within the horizon).
    ``vacant_since``: the day after its last holder left, when it is vacant today and was ever
    held. ``seat`` is loaded (with its instance, type and territory) for the board's page only."""

    seat_id: int
    vacant_from: date
    vacant_now: bool
    vacant_since: date | None = None
    seat: Seat | None = None


@dataclass
class VacancyPage:
    """One page of vacancies, with what the ``pagination`` macro reads."""

    items: list[Vacancy]
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _first_uncovered_day(today: date, intervals: list[tuple[date, date]]) -> date:
    """The first day from ``today`` that none of ``intervals`` (inclusive) covers."""
    day = today
    for starts_on, ends_on in sorted(intervals):
        if starts_on > day:
            break
        day = max(day, ends_on + timedelta(days=1))
    return day


def compute_vacancies(today: date, *, horizon_months: int = BOARD_HORIZON_MONTHS, territory=None,
                      type_code: str | None = None, kinds=None, seat_ids=None) -> list[Vacancy]:
    """Every seat vacant today or on some day up to ``today`` + ``horizon_months``, in board order
    (territory, instance, seat position). One query, whatever the number of seats: each seat
    comes with the holding mandates that overlap the horizon and the day its last holder left.

    ``territory`` keeps the instances of that territory and of the territories inside it."""
    horizon_end = add_months(today, horizon_months)
    last_end = (select(func.max(func.coalesce(Mandate.ended_on, Mandate.ends_on)))
                .where(Mandate.seat_id == Seat.id, Mandate.status.in_(HELD_STATUSES),
                       func.coalesce(Mandate.ended_on, Mandate.ends_on) < today)
                .correlate(Seat).scalar_subquery())
    query = (select(Seat.id, Mandate.starts_on, Mandate.ends_on, last_end.label("last_end"))
             .join(Instance, Instance.id == Seat.instance_id)
             .join(Territory, Territory.id == Instance.territory_id)
             .outerjoin(Mandate, and_(Mandate.seat_id == Seat.id, Mandate.status.in_(HOLDING_STATUSES),
                                      Mandate.ends_on >= today, Mandate.starts_on <= horizon_end))
             .order_by(Territory.path, Instance.name, Instance.id, Seat.position, Seat.id))
    if territory is not None:
        query = query.where(or_(Territory.id == territory.id, Territory.path.startswith(territory.path)))
    if type_code:
        query = query.join(InstanceType, InstanceType.id == Instance.type_id).where(InstanceType.code == type_code)
    if kinds:
        query = query.where(Seat.kind.in_(tuple(kinds)))
    if seat_ids is not None:
        query = query.where(Seat.id.in_(list(seat_ids)))

    order: list[int] = []
    intervals: dict[int, list[tuple[date, date]]] = {}
    last_ends: dict[int, date | None] = {}
    for row in db.session.execute(query):
        if row.id not in intervals:
            order.append(row.id)
            intervals[row.id] = []
            last_ends[row.id] = row.last_end
        if row.starts_on is not None:
            intervals[row.id].append((row.starts_on, row.ends_on))

    vacancies = []
    for seat_id in order:
        vacant_from = _first_uncovered_day(today, intervals[seat_id])
        if vacant_from > horizon_end:
            continue
        now = vacant_from == today
        since = last_ends[seat_id] + timedelta(days=1) if now and last_ends[seat_id] else None
        vacancies.append(Vacancy(seat_id=seat_id, vacant_from=vacant_from, vacant_now=now, vacant_since=since))
    return vacancies


def load_seats(vacancies: list[Vacancy]) -> list[Vacancy]:
    """Attach each vacancy's seat with its instance, type, territory and establishment (one query)."""
    ids = [v.seat_id for v in vacancies]
    if not ids:
        return vacancies
    seats = {s.id: s for s in db.session.execute(
        select(Seat).where(Seat.id.in_(ids))
        .options(joinedload(Seat.instance).joinedload(Instance.territory),
                 joinedload(Seat.instance).joinedload(Instance.establishment))).unique().scalars()}
    for vacancy in vacancies:
        vacancy.seat = seats[vacancy.seat_id]
    return vacancies


def seat_vacancies(today: date, horizon_months: int = BOARD_HORIZON_MONTHS, territory=None,
                   type_code: str | None = None, *, kinds=None, page: int = 1,
                   per_page: int = 25) -> VacancyPage:
    """The board's page ``page`` of the seats vacant now or within ``horizon_months`` (two queries:
    the vacancies, then the seats of the page)."""
    vacancies = compute_vacancies(today, horizon_months=horizon_months, territory=territory,
                                  type_code=type_code, kinds=kinds)
    result = VacancyPage(items=[], page=max(1, page), per_page=per_page, total=len(vacancies))
    result.page = min(result.page, result.pages)
    start = (result.page - 1) * per_page
    result.items = load_seats(vacancies[start:start + per_page])
    return result


def vacancy_of(seat: Seat, today: date, horizon_months: int = BOARD_HORIZON_MONTHS) -> Vacancy | None:
    """The seat's vacancy if it is vacant now or within the horizon, else None."""
    found = compute_vacancies(today, horizon_months=horizon_months, seat_ids=[seat.id])
    return found[0] if found else None
