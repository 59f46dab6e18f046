"""The ballot endpoint keeps what it needs to know of a consultation (its ballot box: method,
dates, territory, candidate priorities) in each worker, and reads it again as soon as the
consultation, a priority or a territory changes — whoever changed it: the app, another worker,
SQL typed by hand. Runs on both databases."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from civicsante.cache import CONSULTATIONS, GENERATION_TABLES, generation, kept_copies
from civicsante.consultations.ballot_box import KEPT_BOXES
from civicsante.consultations.models import Participation, Priority
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.conftest import client_for
from tests.support.consultations import make_consultation, priority_ids
from tests.support.factories import make_user
from tests.support.generations import update_elsewhere_and_check_the_generation_moves_at_commit
from tests.support.queries import count_queries


def _elsewhere(app, sql: str, **params) -> None:
    """A write committed on a connection of its own, as another worker or a script would."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _voted(app, consultation_id: int) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Participation)
                                  .where(Participation.consultation_id == consultation_id)).scalar_one()


def _grades(app, consultation_id: int, grade: str = "4") -> dict[str, str]:
    return {f"grade-{cid}": grade for cid in priority_ids(app, consultation_id)}


def _confirm(client, consultation_id: int, form: dict):
    return client.post(f"/consultations/{consultation_id}/vote/confirmer", data=form)


def _resident(app, world):
    return make_user(app, home_territory_id=world.quartier.id)


def test_the_second_ballot_reads_neither_the_consultation_nor_its_priorities(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, priorities=4)
    form = _grades(app, consultation.id)
    first, second = client_for(app, _resident(app, world)), client_for(app, _resident(app, world))

    def reads_of_the_consultation(client) -> list[str]:
        with count_queries(app) as statements:
            assert _confirm(client, consultation.id, form).status_code == 303
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")
                and ("FROM consultation" in s or "FROM priority" in s)]

    assert len(reads_of_the_consultation(first)) == 2  # read once: the consultation, its priorities
    assert reads_of_the_consultation(second) == []  # then kept
    assert _voted(app, consultation.id) == 2


def test_a_vote_closed_by_hand_elsewhere_refuses_the_next_ballot(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id)
    form = _grades(app, consultation.id)
    assert _confirm(client_for(app, _resident(app, world)), consultation.id, form).status_code == 303

    _elsewhere(app, "UPDATE consultation SET vote_ends_at = :t WHERE id = :id",
               t=utcnow() - timedelta(minutes=1), id=consultation.id)
    late = client_for(app, _resident(app, world))
    refused = _confirm(late, consultation.id, form)
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/consultations/{consultation.id}")
    assert "Le vote n&#39;est pas ouvert." in late.get(refused.headers["Location"]).get_data(as_text=True)
    assert _voted(app, consultation.id) == 1


def test_a_priority_added_meanwhile_must_be_graded_at_once(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, phase="vote", priorities=2)
    old_form = _grades(app, consultation.id)
    assert _confirm(client_for(app, _resident(app, world)), consultation.id, old_form).status_code == 303

    with app.app_context():  # committed by another session than the requests'
        added = Priority(consultation_id=consultation.id, title="Priorité ajoutée", position=9)
        db.session.add(added)
        db.session.commit()
        added = added.candidate_id
    voter = client_for(app, _resident(app, world))
    missing = _confirm(voter, consultation.id, old_form)
    assert missing.status_code == 422  # the new priority has no grade yet
    assert f'name="grade-{added}"' in missing.get_data(as_text=True)
    assert _confirm(voter, consultation.id, {**old_form, f"grade-{added}": "2"}).status_code == 303
    assert _voted(app, consultation.id) == 2


def test_a_consultation_moved_to_another_territory_refuses_its_former_voters(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id)
    form = _grades(app, consultation.id)
    assert _confirm(client_for(app, _resident(app, world)), consultation.id, form).status_code == 303

    _elsewhere(app, "UPDATE consultation SET territory_id = :t WHERE id = :id", t=world.other_commune.id,
               id=consultation.id)
    refused = _confirm(client_for(app, _resident(app, world)), consultation.id, form)
    assert refused.status_code == 403
    assert _voted(app, consultation.id) == 1


def test_an_unknown_consultation_answers_404_and_keeps_nothing(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id)
    voter = client_for(app, _resident(app, world))
    assert _confirm(voter, consultation.id, _grades(app, consultation.id)).status_code == 303
    with app.app_context():
        store = kept_copies(CONSULTATIONS, KEPT_BOXES)
    assert len(store) == 1
    for unknown in range(999_000, 999_100):  # cannot push the real box out of the store
        assert _confirm(voter, unknown, {"grade-1": "2"}).status_code == 404
    assert len(store) == 1


@pytest.mark.parametrize("table", GENERATION_TABLES[CONSULTATIONS])
def test_every_write_to_the_covered_tables_moves_the_generation_when_it_commits(app, world, table):
    make_consultation(app, territory_id=world.commune.id)
    column = {"consultation": "title", "priority": "title", "territory": "name"}[table]
    update_elsewhere_and_check_the_generation_moves_at_commit(app, CONSULTATIONS, table, column)


def test_a_ballot_does_not_move_the_generation(app, world):
    """Ballots and participations are not covered: voting does not throw the kept boxes away."""
    consultation = make_consultation(app, territory_id=world.commune.id)
    with app.app_context():
        before = generation(CONSULTATIONS)
    assert _confirm(client_for(app, _resident(app, world)), consultation.id,
                    _grades(app, consultation.id)).status_code == 303
    with app.app_context():
        assert generation(CONSULTATIONS) == before
