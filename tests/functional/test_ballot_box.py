"""The ballot endpoint keeps what it needs to know of a consultation (its ballot box: method,
dates, territory, candidate priorities) in each worker, and reads it again as soon as the
consultation, a priority or a territory changes — whoever changed it: the app, another worker,
SQL typed by hand. Runs on both databases."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from civicsante.cache import CONSULTATIONS, GENERATION_TABLES, generation, kept_copies
from civicsante.consultations import services
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


def test_a_ballot_on_the_kept_box_reads_no_generation_before_writing(app, world):
    """The box this worker keeps is tried as it is: the write itself checks that it still holds."""
    consultation = make_consultation(app, territory_id=world.commune.id, priorities=3)
    form = _grades(app, consultation.id)
    assert _confirm(client_for(app, _resident(app, world)), consultation.id, form).status_code == 303
    second = client_for(app, _resident(app, world))
    with count_queries(app) as statements:
        assert _confirm(second, consultation.id, form).status_code == 303
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT") and "data_generation" in s] == []
    assert _voted(app, consultation.id) == 2


def _add_a_priority_when_the_ballot_is_written(app, monkeypatch, consultation_id: int) -> list[str]:
    """Just before the ballot's write lock is taken (its checks done against the ballot box), a
    priority is added and committed on another connection, once. Answers the new candidate id
    (filled in once added)."""
    added: list[str] = []
    take_write_lock = services.take_write_lock

    def priority_added_first(session):
        if not added:
            _elsewhere(app, "INSERT INTO priority (consultation_id, title, description, position, created_at)"
                       " VALUES (:c, 'Priorité ajoutée', '', 9, :t)", c=consultation_id, t=utcnow())
            with app.app_context():
                added.append(str(db.session.execute(select(func.max(Priority.id))).scalar_one()))
        take_write_lock(session)

    monkeypatch.setattr(services, "take_write_lock", priority_added_first)
    return added


@pytest.mark.parametrize("box", ["kept", "read for this ballot"])
def test_a_priority_added_while_the_ballot_is_written_refuses_it(app, world, monkeypatch, box):
    """The consultation changes between the checks of the ballot and its write: nothing is
    written, and the voter is asked to grade the new priority."""
    consultation = make_consultation(app, territory_id=world.commune.id, phase="vote", priorities=2)
    form = _grades(app, consultation.id)
    if box == "kept":
        assert _confirm(client_for(app, _resident(app, world)), consultation.id, form).status_code == 303
    before = _voted(app, consultation.id)
    added = _add_a_priority_when_the_ballot_is_written(app, monkeypatch, consultation.id)

    voter = client_for(app, _resident(app, world))
    refused = _confirm(voter, consultation.id, form)
    assert refused.status_code == 422
    assert f'name="grade-{added[0]}"' in refused.get_data(as_text=True)
    assert _voted(app, consultation.id) == before
    assert _confirm(voter, consultation.id, {**form, f"grade-{added[0]}": "1"}).status_code == 303
    assert _voted(app, consultation.id) == before + 1


def test_a_consultation_changing_at_every_try_tells_the_voter_and_writes_nothing(app, world, monkeypatch):
    consultation = make_consultation(app, territory_id=world.commune.id, phase="vote", priorities=2)
    form = _grades(app, consultation.id)
    take_write_lock = services.take_write_lock
    tries = []

    def retitled_first(session):
        tries.append(1)
        _elsewhere(app, "UPDATE consultation SET title = :t WHERE id = :id", t=f"Titre {len(tries)}",
                   id=consultation.id)
        take_write_lock(session)

    monkeypatch.setattr(services, "take_write_lock", retitled_first)
    refused = _confirm(client_for(app, _resident(app, world)), consultation.id, form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "La consultation a changé pendant que vous votiez : vérifiez votre bulletin" in page
    for name in form:  # the grades given are kept
        assert re.search(rf'name="{name}" id="{name}-4" value="4"\s+checked', page)
    assert len(tries) == 3
    assert _voted(app, consultation.id) == 0


def test_without_a_generation_a_vote_closed_while_the_ballot_is_written_refuses_it(app, world, monkeypatch):
    """No generation row (a database emptied by hand): nothing is kept, and the write still
    checks the vote's dates."""
    consultation = make_consultation(app, territory_id=world.commune.id, phase="vote", priorities=2)
    _elsewhere(app, "DELETE FROM data_generation WHERE name = :n", n=CONSULTATIONS)
    take_write_lock = services.take_write_lock

    def closed_first(session):
        _elsewhere(app, "UPDATE consultation SET vote_ends_at = :t WHERE id = :id",
                   t=utcnow() - timedelta(seconds=1), id=consultation.id)
        take_write_lock(session)

    monkeypatch.setattr(services, "take_write_lock", closed_first)
    voter = client_for(app, _resident(app, world))
    refused = _confirm(voter, consultation.id, _grades(app, consultation.id))
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/consultations/{consultation.id}")
    assert "Le vote n&#39;est pas ouvert." in voter.get(refused.headers["Location"]).get_data(as_text=True)
    assert _voted(app, consultation.id) == 0
