"""Representativeness figures: seats filled / vacant per type, territory and over time; people
by group, shown only for groups of at least MIN_GROUP_SIZE, with the complementary suppression."""
from __future__ import annotations

from datetime import date

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.mandates.models import ENDED, Mandate
from civicsante.mandates.stats import MIN_GROUP_SIZE, NOT_STATED, representativeness, suppress
from tests.support.factories import make_user
from tests.support.mandates import make_instance, make_mandate, seat_ids

TODAY = date(2026, 3, 15)


def _counts(rows) -> dict:
    return {r.key: r.count for r in rows}


def test_threshold_is_ten():
    assert MIN_GROUP_SIZE == 10


def test_small_groups_hidden_and_a_lone_hidden_one_protected():
    assert _counts(suppress({"a": 12, "b": 10, "c": 9}, ("a", "b", "c"))) == {"a": 12, "b": None, "c": None}
    assert _counts(suppress({"a": 12, "b": 15, "c": 3, "d": 0}, ("a", "b", "c", "d"))) == {
        "a": 12, "b": 15, "c": None, "d": None}
    assert _counts(suppress({"a": 12, "b": 15}, ("a", "b"))) == {"a": 12, "b": 15}


def _people(app, seats, count, **profile):
    for seat_id in seats[:count]:
        user = make_user(app)
        with app.app_context():
            person = db.session.get(User, user.id)
            for key, value in profile.items():
                setattr(person, key, value)
            db.session.commit()
        make_mandate(app, seat_id=seat_id, user_id=user.id, starts_on=date(2024, 1, 1), ends_on=date(2027, 1, 1))
    return seats[count:]


def test_figures_with_suppression(app, world):
    cdu = make_instance(app, territory_id=world.commune.id, type_code="cdu",
                        seats=("ru_titulaire",) * 20)
    cts = make_instance(app, territory_id=world.other_commune.id, type_code="cts", seats=("ru_titulaire",) * 10)
    free = seat_ids(app, cdu.id) + seat_ids(app, cts.id)
    free = _people(app, free, 12, age_band="65_74", sex="femme", employment_status="retraite")
    free = _people(app, free, 10, age_band="50_64", sex="homme", employment_status="en_activite")
    free = _people(app, free, 3, age_band="25_34", sex="femme")
    # A mandate ended early in 2025 counts for 1 January 2025, not for today.
    ended = make_mandate(app, seat_id=free[0], user_id=make_user(app).id, starts_on=date(2022, 6, 1),
                         ends_on=date(2025, 5, 31), status=ENDED)
    with app.app_context():
        db.session.get(Mandate, ended.id).ended_on = date(2025, 2, 1)
        db.session.commit()
        figures = representativeness(TODAY)

    by_type = {r.key: (r.filled, r.vacant) for r in figures.by_type}
    assert by_type == {"cdu": (20, 0), "cts": (5, 5)}
    assert {r.label: (r.filled, r.vacant) for r in figures.by_territory} == {"Belrive": (20, 0), "Montclair": (5, 5)}
    assert figures.representatives == 25
    ages = _counts(figures.age_band)
    assert ages["65_74"] == 12 and ages["50_64"] == 10 and ages["25_34"] is None and ages[NOT_STATED] is None
    assert _counts(figures.sex) == {"femme": 15, "homme": 10, "autre": None, NOT_STATED: None}
    employment = _counts(figures.employment)
    assert employment["retraite"] == 12 and employment["en_activite"] == 10 and employment[NOT_STATED] is None
    evolution = {r.key: (r.filled, r.vacant) for r in figures.evolution}
    assert list(evolution) == [date(y, 1, 1) for y in range(2021, 2026)] + [TODAY]
    assert evolution[date(2024, 1, 1)] == (26, 4)
    assert evolution[date(2025, 1, 1)] == (26, 4)
    assert evolution[date(2023, 1, 1)] == (1, 29)
    assert evolution[TODAY] == (25, 5)


def test_fewer_than_ten_people_shows_no_breakdown(app, world):
    instance = make_instance(app, territory_id=world.commune.id, seats=("ru_titulaire",) * 4)
    _people(app, seat_ids(app, instance.id), 4, sex="femme")
    with app.app_context():
        figures = representativeness(TODAY)
    assert figures.representatives is None
    assert all(row.count is None for row in figures.sex + figures.age_band + figures.employment)
    assert {r.key: (r.filled, r.vacant) for r in figures.by_type} == {"cdu": (4, 0)}
