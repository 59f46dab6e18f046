"""Which seats are vacant now or within the horizon, from when, and since when (vacancies.py)."""
from __future__ import annotations

from datetime import date

from civicsante.extensions import db
from civicsante.mandates.models import ENDED, PROPOSED, Seat
from civicsante.mandates.vacancies import add_months, compute_vacancies, seat_vacancies, vacancy_of
from tests.support.factories import make_territory, make_user
from tests.support.mandates import make_instance, make_mandate, seat_ids
from tests.support.queries import count_queries

TODAY = date(2026, 3, 15)


def _by_seat(vacancies):
    return {v.seat_id: v for v in vacancies}


def test_add_months_keeps_the_day_or_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 9, 15), 6) == date(2027, 3, 15)
    assert add_months(date(2026, 3, 15), -6) == date(2025, 9, 15)


def test_vacant_now_soon_and_filled_seats(app, world):
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    filled, ending_soon, never_held, left, = seat_ids(app, instance.id)
    person = make_user(app)
    make_mandate(app, seat_id=filled, user_id=person.id, starts_on=date(2025, 1, 1), ends_on=date(2028, 1, 1))
    make_mandate(app, seat_id=ending_soon, user_id=make_user(app).id, starts_on=date(2024, 1, 1),
                 ends_on=date(2026, 5, 31))
    # Ended by resignation on 1 February: vacant since the 2nd, whatever its planned end.
    resigned = make_mandate(app, seat_id=left, user_id=make_user(app).id, starts_on=date(2024, 1, 1),
                            ends_on=date(2027, 1, 1), status=ENDED)
    with app.app_context():
        from civicsante.mandates.models import Mandate
        db.session.get(Mandate, resigned.id).ended_on = date(2026, 2, 1)
        db.session.commit()
        found = _by_seat(compute_vacancies(TODAY))
    assert filled not in found
    assert found[ending_soon].vacant_from == date(2026, 6, 1) and not found[ending_soon].vacant_now
    assert found[never_held].vacant_now and found[never_held].vacant_since is None
    assert found[left].vacant_now and found[left].vacant_since == date(2026, 2, 2)


def test_a_successor_already_designated_closes_the_gap_and_a_proposal_does_not(app, world):
    instance = make_instance(app, territory_id=world.commune.id, seats=("ru_titulaire", "ru_titulaire"))
    with_successor, with_proposal = seat_ids(app, instance.id)
    for seat_id in (with_successor, with_proposal):
        make_mandate(app, seat_id=seat_id, user_id=make_user(app).id, starts_on=date(2023, 6, 1),
                     ends_on=date(2026, 5, 31))
    make_mandate(app, seat_id=with_successor, user_id=make_user(app).id, starts_on=date(2026, 6, 1),
                 ends_on=date(2029, 5, 31), status="designe")
    make_mandate(app, seat_id=with_proposal, user_id=make_user(app).id, starts_on=date(2026, 6, 1),
                 ends_on=date(2029, 5, 31), status=PROPOSED)
    with app.app_context():
        found = _by_seat(compute_vacancies(TODAY))
    assert with_successor not in found
    assert found[with_proposal].vacant_from == date(2026, 6, 1)


def test_a_gap_between_two_mandates_is_found(app, world):
    instance = make_instance(app, territory_id=world.commune.id, seats=("ru_titulaire",))
    (seat,) = seat_ids(app, instance.id)
    make_mandate(app, seat_id=seat, user_id=make_user(app).id, starts_on=date(2025, 1, 1), ends_on=date(2026, 4, 30))
    make_mandate(app, seat_id=seat, user_id=make_user(app).id, starts_on=date(2026, 6, 1), ends_on=date(2029, 5, 31),
                 status="designe")
    with app.app_context():
        (vacancy,) = compute_vacancies(TODAY, seat_ids=[seat])
    assert vacancy.vacant_from == date(2026, 5, 1)


def test_beyond_the_horizon_is_not_on_the_board(app, world):
    instance = make_instance(app, territory_id=world.commune.id, seats=("ru_titulaire",))
    (seat,) = seat_ids(app, instance.id)
    make_mandate(app, seat_id=seat, user_id=make_user(app).id, starts_on=date(2025, 1, 1), ends_on=date(2026, 9, 15))
    with app.app_context():
        assert compute_vacancies(TODAY) == []  # vacant from 16 September: 6 months and a day
        assert compute_vacancies(TODAY, horizon_months=7)[0].vacant_from == date(2026, 9, 16)
        assert vacancy_of(db.session.get(Seat, seat), date(2026, 3, 16)) is not None


def test_filters_by_territory_inside_and_by_type(app, world):
    elsewhere = make_territory(app, name="Ailleurs", kind="region", code="R99")
    in_quartier = make_instance(app, territory_id=world.quartier.id, type_code="clsm", seats=("ru_titulaire",))
    far = make_instance(app, territory_id=elsewhere.id, type_code="cts", seats=("ru_titulaire",))
    quartier_seats, far_seats = set(seat_ids(app, in_quartier.id)), set(seat_ids(app, far.id))
    with app.app_context():
        from civicsante.reference.models import Territory
        commune = db.session.get(Territory, world.commune.id)
        inside = {v.seat_id for v in compute_vacancies(TODAY, territory=commune)}
        assert inside == quartier_seats
        assert {v.seat_id for v in compute_vacancies(TODAY, type_code="cts")} == far_seats
        assert {v.seat_id for v in compute_vacancies(TODAY, kinds={"ru_suppleant"})} == set()


def test_pages_cost_the_same_number_of_queries_whatever_the_seats(app, world):
    def board_queries() -> tuple[int, int]:
        with app.app_context(), count_queries(app) as statements:
            page = seat_vacancies(TODAY, per_page=5)
            for vacancy in page.items:
                _ = (vacancy.seat.instance.type.name, vacancy.seat.instance.territory.name)
        return len(statements), page.total

    make_instance(app, territory_id=world.commune.id)
    few, total_few = board_queries()
    for _ in range(4):
        make_instance(app, territory_id=world.commune.id)
    many, total_many = board_queries()
    assert (total_few, total_many) == (4, 20)
    assert few == many <= 2


def test_pagination_of_the_board(app, world):
    make_instance(app, territory_id=world.commune.id)
    make_instance(app, territory_id=world.commune.id)
    with app.app_context():
        first, last = seat_vacancies(TODAY, per_page=3, page=1), seat_vacancies(TODAY, per_page=3, page=3)
        beyond = seat_vacancies(TODAY, per_page=3, page=9)
    assert (first.pages, len(first.items), first.has_next, first.has_prev) == (3, 3, True, False)
    assert len(last.items) == 2 and not last.has_next
    assert beyond.page == 3
