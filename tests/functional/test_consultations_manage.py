"""The facilitator's tools for consultations through the test client: set-up, desk, phases,
priorities from needs, paper ballot batches, assisted ballots, follow-up steps, and the public
follow-up page of a priority.

Assertions look for ids, URLs and data rather than wording where they can, so they hold in
French and in English."""
from __future__ import annotations

import html as html_lib
import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.blueprints.consultations.forms import utc_to_paris
from civicsante.consultations import services
from civicsante.consultations.models import (
    Ballot,
    Consultation,
    Milestone,
    PaperBatch,
    Participation,
    Priority,
    PriorityNeed,
)
from civicsante.extensions import db
from civicsante.needs import services as need_services
from civicsante.needs.models import INTEGRE, Need, Notification
from tests.conftest import client_for
from tests.support.consultations import cast, make_consultation, priority_ids
from tests.support.factories import make_need, make_user
from tests.support.queries import count_queries


def _html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def facilitator(app, world):
    return make_user(app, role="facilitator", territory_id=world.commune.id, home_territory_id=world.commune.id)


@pytest.fixture
def desk(app, facilitator):
    """A client logged in as the facilitator of world.commune."""
    return client_for(app, facilitator)


def _consultation(app, facilitator, world, **kwargs) -> Consultation:
    return make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id, **kwargs)


def _get(app, model, key):
    with app.app_context():
        found = db.session.get(model, key)
        if found is not None:
            db.session.expunge(found)
        return found


def _audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _form(**overrides) -> dict:
    data = {"title": "Santé à Belrive 2027", "description": "Quelles priorités ?", "method": "majority_judgment",
            "grade_labels": "Mauvais\nMoyen\nBon", "secrecy": "secret", "results_visibility": "apres_cloture",
            "collect_starts_at": "2027-01-15T10:00", "deliberation_starts_at": "2027-02-01T10:00",
            "vote_starts_at": "2027-03-01T09:00", "vote_ends_at": "2027-07-01T20:00",
            "followup_starts_at": "2027-07-15T10:00"}
    data.update(overrides)
    return data


# Permissions ------------------------------------------------------------------------------------

def test_residents_and_facilitators_of_another_territory_cannot_manage(app, world, facilitator):
    consultation = _consultation(app, facilitator, world)
    batch = _open_batch(app, consultation, facilitator)
    resident = client_for(app, make_user(app, home_territory_id=world.commune.id))
    stranger = client_for(app, make_user(app, role="facilitator", territory_id=world.other_commune.id))
    pid = priority_ids(app, consultation.id)[0]
    pages = [f"/consultations/{consultation.id}/gestion", f"/consultations/{consultation.id}/modifier",
             f"/consultations/{consultation.id}/priorites/nouvelle",
             f"/consultations/{consultation.id}/lots-papier/nouveau", f"/lots-papier/{batch}",
             f"/consultations/{consultation.id}/vote-assiste", f"/priorites/{pid}/suivi/nouveau"]
    for url in pages:
        assert resident.get(url).status_code == 403, url
        assert stranger.get(url).status_code == 403, url
    assert resident.get("/consultations/nouvelle").status_code == 403
    for url in (f"/consultations/{consultation.id}/phase", f"/lots-papier/{batch}/valider",
                f"/priorites/{pid}/supprimer"):
        assert stranger.post(url, data={"phase": "resultats"}).status_code == 403, url
    assert _get(app, Consultation, consultation.id).phase() == "vote"
    assert app.test_client().get(f"/consultations/{consultation.id}/gestion").status_code == 302


def test_unknown_objects_answer_404(desk):
    for url in ("/consultations/999999/gestion", "/consultations/999999/modifier", "/lots-papier/999999",
                "/priorites/999999", "/priorites/999999/suivi/nouveau"):
        assert desk.get(url).status_code == 404, url


# Creating and changing ------------------------------------------------------------------------

def test_new_offers_only_the_facilitated_territories_and_the_default_grades(app, world, desk):
    html = _html(desk.get("/consultations/nouvelle"))
    assert f'value="{world.commune.id}"' in html and f'value="{world.quartier.id}"' in html
    assert f'value="{world.other_commune.id}"' not in html
    assert 'type="datetime-local"' in html
    assert 'name="method"' in html and 'aria-describedby="method-5-hint"' in html  # explained choices
    grades = re.search(r'<textarea[^>]*id="grade_labels"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert len(grades.strip().splitlines()) == 7


def test_new_creates_the_consultation_with_paris_times_stored_in_utc(app, world, desk):
    response = desk.post("/consultations/nouvelle", data=_form(territory_id=str(world.quartier.id)))
    assert response.status_code == 303
    cid = int(re.search(r"/consultations/(\d+)/gestion$", response.headers["Location"]).group(1))
    c = _get(app, Consultation, cid)
    assert c.territory_id == world.quartier.id and c.method == "majority_judgment"
    assert c.collect_starts_at == datetime(2027, 1, 15, 9, 0, tzinfo=UTC)  # winter: UTC+1
    assert c.vote_ends_at == datetime(2027, 7, 1, 18, 0, tzinfo=UTC)       # summer: UTC+2
    assert c.grade_labels == ["Mauvais", "Moyen", "Bon"]
    assert "consultation.create" in _audit_actions(app)
    assert desk.get(response.headers["Location"]).status_code == 200


def test_new_with_the_default_grades_keeps_them_translatable(app, world, desk):
    html = _html(desk.get("/consultations/nouvelle"))
    grades = re.search(r'<textarea[^>]*id="grade_labels"[^>]*>(.*?)</textarea>', html, re.S).group(1).strip()
    response = desk.post("/consultations/nouvelle", data=_form(territory_id=str(world.commune.id),
                                                               grade_labels=html_lib.unescape(grades)))
    cid = int(re.search(r"/consultations/(\d+)/", response.headers["Location"]).group(1))
    assert _get(app, Consultation, cid).grade_labels_json is None


def test_new_errors_are_shown_next_to_their_field_with_what_was_typed(app, world, desk):
    response = desk.post("/consultations/nouvelle", data=_form(
        territory_id=str(world.commune.id), title="", method="points", vote_ends_at="2027-02-15T10:00"))
    html = _html(response)
    assert response.status_code == 422
    assert 'id="title-error"' in html and 'class="error-summary"' in html
    assert 'value="2027-02-15T10:00"' in html and "Quelles priorités ?" in html
    # The service's rules: the points budget, then the order of the dates.
    response = desk.post("/consultations/nouvelle", data=_form(territory_id=str(world.commune.id), method="points"))
    assert response.status_code == 422 and 'id="points_budget-error"' in _html(response)
    response = desk.post("/consultations/nouvelle", data=_form(
        territory_id=str(world.commune.id), vote_ends_at="2027-02-15T10:00"))
    assert response.status_code == 422 and 'id="vote_ends_at-error"' in _html(response)
    # A territory the facilitator does not facilitate is refused next to the field.
    response = desk.post("/consultations/nouvelle", data=_form(territory_id=str(world.other_commune.id)))
    assert response.status_code == 422 and 'id="territory_id-error"' in _html(response)
    assert _count(app, Consultation) == 0


def test_edit_shows_paris_times_and_saves_changes(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="collecte")
    html = _html(desk.get(f"/consultations/{consultation.id}/modifier"))
    assert 'name="method"' in html and 'name="secrecy"' in html
    response = desk.post(f"/consultations/{consultation.id}/modifier", data=_form(
        title="Nouveau titre", method="approval", max_approvals="2", collect_starts_at="2026-01-15T10:00",
        deliberation_starts_at="2026-01-16T10:00"))
    assert response.status_code == 303
    c = _get(app, Consultation, consultation.id)
    assert (c.title, c.method, c.max_approvals) == ("Nouveau titre", "approval", 2)
    assert c.collect_starts_at == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    html = _html(desk.get(f"/consultations/{consultation.id}/modifier"))
    assert 'value="2026-01-15T10:00"' in html


def test_once_the_vote_opened_method_and_secrecy_are_read_only(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote", method="schulze")
    html = _html(desk.get(f"/consultations/{consultation.id}/modifier"))
    assert 'name="method"' not in html and 'name="secrecy"' not in html
    c = _get(app, Consultation, consultation.id)
    data = _form(title="Titre corrigé", method="single", secrecy="ouvert")
    for key in ("collect_starts_at", "deliberation_starts_at", "vote_starts_at", "vote_ends_at",
                "followup_starts_at"):
        data[key] = utc_to_paris(getattr(c, key)).strftime("%Y-%m-%dT%H:%M")
    response = desk.post(f"/consultations/{consultation.id}/modifier", data=data)
    assert response.status_code == 303
    c = _get(app, Consultation, consultation.id)
    assert (c.title, c.method, c.secrecy) == ("Titre corrigé", "schulze", "secret")


# The desk and the phases ----------------------------------------------------------------------

def test_desk_shows_settings_phases_priorities_and_participation_not_results(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote")
    pids = priority_ids(app, consultation.id)
    cast(app, consultation.id, {pid: 3 for pid in pids}, territory_id=world.commune.id)
    html = _html(desk.get(f"/consultations/{consultation.id}/gestion"))
    assert "Priorité 1" in html and "Priorité 3" in html
    assert re.search(r'id="channel-en_ligne"><th[^>]*>[^<]*</th><td>1</td><td>1</td>', html)
    for phase in ("resultats", "suivi"):  # a button for each later phase only
        assert f'name="phase" value="{phase}"' in html
    assert 'name="phase" value="vote"' not in html
    for endpoint in (f"/consultations/{consultation.id}/lots-papier/nouveau",
                     f"/consultations/{consultation.id}/vote-assiste",
                     f"/consultations/{consultation.id}/modifier", f"/consultations/{consultation.id}\""):
        assert endpoint in html
    assert "merit" not in html and "ranking" not in html  # no result before the close


def test_desk_runs_a_bounded_number_of_queries(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote", priorities=5)
    for _ in range(3):
        _open_batch(app, consultation, facilitator)
    with count_queries(app) as queries:
        assert desk.get(f"/consultations/{consultation.id}/gestion").status_code == 200
    few = len(queries)
    for _ in range(5):
        _open_batch(app, consultation, facilitator)
    with count_queries(app) as queries:
        desk.get(f"/consultations/{consultation.id}/gestion")
    assert len(queries) == few


def test_start_phase_opens_the_phase_now_and_refuses_a_past_one(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="collecte")
    response = desk.post(f"/consultations/{consultation.id}/phase", data={"phase": "vote"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/consultations/{consultation.id}/gestion")
    assert _get(app, Consultation, consultation.id).phase() == "vote"
    assert "consultation.phase" in _audit_actions(app)
    response = desk.post(f"/consultations/{consultation.id}/phase", data={"phase": "collecte"}, follow_redirects=True)
    assert 'flash--error' in _html(response)
    assert _get(app, Consultation, consultation.id).phase() == "vote"


# Priorities -------------------------------------------------------------------------------------

def test_new_priority_lists_the_territorys_visible_needs_most_supported_first(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="collecte", priorities=0)
    few = make_need(app, territory_id=world.quartier.id, title="Kinésithérapeute absent", supports=1)
    many = make_need(app, territory_id=world.commune.id, title="Besoin très soutenu", supports=3)
    elsewhere = make_need(app, territory_id=world.other_commune.id, title="Besoin de Montclair")
    refused = make_need(app, territory_id=world.commune.id, title="Besoin non retenu", status="non_retenu")
    html = _html(desk.get(f"/consultations/{consultation.id}/priorites/nouvelle"))
    assert html.index(f'id="need-{many.id}"') < html.index(f'id="need-{few.id}"')
    assert f'id="need-{elsewhere.id}"' not in html and f'id="need-{refused.id}"' not in html
    html = _html(desk.get(f"/consultations/{consultation.id}/priorites/nouvelle?q=kinesitherapeute"))
    assert f'id="need-{few.id}"' in html and f'id="need-{many.id}"' not in html


def test_a_priority_from_needs_integrates_them_and_tells_their_supporters(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="collecte", priorities=0)
    need = make_need(app, territory_id=world.quartier.id, title="Pas de kiné aux Tilleuls")
    other = make_need(app, territory_id=world.commune.id, title="Pas d'orthophoniste")
    supporter = make_user(app, home_territory_id=world.commune.id)
    with app.app_context():
        need_services.support(db.session.get(Need, need.id), db.session.get(User, supporter.id))
        db.session.commit()
    # An error keeps the ticked needs and the text typed.
    response = desk.post(f"/consultations/{consultation.id}/priorites/nouvelle",
                         data={"title": "", "description": "Rééducation", "need_ids": [str(need.id)]})
    html = _html(response)
    assert response.status_code == 422 and 'id="title-error"' in html and "Rééducation" in html
    assert re.search(rf'value="{need.id}" id="need-{need.id}"\s+checked', html)
    response = desk.post(f"/consultations/{consultation.id}/priorites/nouvelle", data={
        "title": "Accès à la rééducation", "description": "Rééducation", "need_ids": [str(need.id), str(other.id)]})
    assert response.status_code == 303
    assert _get(app, Need, need.id).status == INTEGRE and _get(app, Need, other.id).status == INTEGRE
    with app.app_context():
        told = db.session.execute(select(Notification).where(Notification.user_id == supporter.id,
                                                             Notification.need_id == need.id)).scalar_one()
        assert json.loads(told.detail)["status"] == INTEGRE
        priority = db.session.execute(select(Priority).where(Priority.consultation_id == consultation.id)).scalar_one()
        assert {row.need_id for row in db.session.execute(select(PriorityNeed)).scalars()} == {need.id, other.id}
    assert "priority.create" in _audit_actions(app)
    html = _html(desk.get(f"/consultations/{consultation.id}/gestion"))
    assert "Accès à la rééducation" in html and f'href="/besoins/{need.id}"' in html
    # And removing it.
    response = desk.post(f"/priorites/{priority.id}/supprimer")
    assert response.status_code == 303 and _count(app, Priority) == 0
    assert "priority.delete" in _audit_actions(app)


def test_priorities_cannot_change_once_the_vote_opened(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote")
    response = desk.post(f"/consultations/{consultation.id}/priorites/nouvelle", data={"title": "Trop tard"})
    assert response.status_code == 422 and 'class="error-summary"' in _html(response)
    pid = priority_ids(app, consultation.id)[0]
    response = desk.post(f"/priorites/{pid}/supprimer", follow_redirects=True)
    assert "flash--error" in _html(response) and _count(app, Priority) == 3


# Paper ballots ----------------------------------------------------------------------------------

def _open_batch(app, consultation, facilitator, declared=3) -> int:
    with app.app_context():
        batch = services.open_paper_batch(db.session.get(Consultation, consultation.id),
                                          db.session.get(User, facilitator.id), place="Permanence du CCAS",
                                          collected_on=datetime.now(UTC).date(), declared_count=declared)
        db.session.commit()
        return batch.id


def test_new_batch_opens_it_and_errors_stay_next_to_their_field(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote")
    url = f"/consultations/{consultation.id}/lots-papier/nouveau"
    assert desk.get(url).status_code == 200
    response = desk.post(url, data={"place": "Marché", "collected_on": "2999-01-01", "declared_count": "0"})
    html = _html(response)
    assert response.status_code == 422 and 'id="declared_count-error"' in html and 'value="Marché"' in html
    response = desk.post(url, data={"place": "Marché", "collected_on": "2999-01-01", "declared_count": "4"})
    assert response.status_code == 422 and 'id="collected_on-error"' in _html(response)
    response = desk.post(url, data={"place": "Marché", "collected_on": datetime.now(UTC).date().isoformat(),
                                    "declared_count": "4"})
    assert response.status_code == 303
    batch_id = int(re.search(r"/lots-papier/(\d+)$", response.headers["Location"]).group(1))
    batch = _get(app, PaperBatch, batch_id)
    assert (batch.place, batch.declared_count, batch.entered_by_id) == ("Marché", 4, facilitator.id)


def test_paper_ballots_count_only_once_the_batch_is_validated(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote", method="majority_judgment")
    a, b, c = priority_ids(app, consultation.id)
    batch_id = _open_batch(app, consultation, facilitator, declared=3)
    url = f"/lots-papier/{batch_id}"
    html = _html(desk.get(url))
    assert 'name="copies"' in html and f'name="grade-{a}"' in html and "0 / 3" in html

    # A ballot with a priority left ungraded: 422, what was typed kept.
    response = desk.post(url, data={"copies": "1", f"grade-{a}": "6", f"grade-{b}": "2"})
    html = _html(response)
    assert response.status_code == 422 and f'id="grade-{c}-error"' in html
    assert re.search(rf'id="grade-{a}-6" value="6"\s+checked', html)

    response = desk.post(url, data={"copies": "2", f"grade-{a}": "6", f"grade-{b}": "2", f"grade-{c}": "0"})
    assert response.status_code == 303 and response.headers["Location"].startswith(url)
    html = _html(desk.get(response.headers["Location"]))
    assert "2 / 3" in html and re.search(r'id="copies"[^>]*autofocus|autofocus[^>]*id="copies"', html)
    assert not re.search(rf'id="grade-{a}-6" value="6"\s+checked', html)  # the form is empty again
    # Too many copies for the declared count: refused next to the field.
    response = desk.post(url, data={"copies": "2", f"grade-{a}": "1", f"grade-{b}": "1", f"grade-{c}": "1"})
    assert response.status_code == 422 and 'id="copies-error"' in _html(response)

    # Not counted yet; validation refused while typed ≠ declared.
    assert _count(app, Ballot) == 0
    response = desk.post(f"{url}/valider", follow_redirects=True)
    assert "flash--error" in _html(response) and _get(app, PaperBatch, batch_id).validated_at is None

    # A mistake undone, then the last ballot and the validation.
    desk.post(url, data={"copies": "1", f"grade-{a}": "0", f"grade-{b}": "0", f"grade-{c}": "0"})
    assert len(_get(app, PaperBatch, batch_id).draft) == 3
    assert desk.post(f"{url}/retirer-dernier").status_code == 303
    assert len(_get(app, PaperBatch, batch_id).draft) == 2
    desk.post(url, data={"copies": "1", f"grade-{a}": "3", f"grade-{b}": "4", f"grade-{c}": "5"})
    assert _count(app, Ballot) == 0
    assert desk.post(f"{url}/valider").status_code == 303
    assert _get(app, PaperBatch, batch_id).validated_at is not None
    with app.app_context():
        rows = db.session.execute(select(Ballot)).scalars().all()
        assert len(rows) == 3 and {(r.channel, r.batch_id, r.voter_id) for r in rows} == {("papier", batch_id, None)}
    actions = _audit_actions(app)
    assert actions.count("paper_batch.ballot") == 3 and actions.count("paper_batch.ballot_removed") == 1
    assert actions.count("paper_batch.validate") == 1 and actions.count("paper_batch.open") == 1
    # Validated: the page no longer offers to type, and the desk counts 3 paper ballots.
    assert 'name="copies"' not in _html(desk.get(url))
    html = _html(desk.get(f"/consultations/{consultation.id}/gestion"))
    assert re.search(r'id="channel-papier"><th[^>]*>[^<]*</th><td>—</td><td>3</td>', html)


def test_paper_ballots_of_a_ranked_consultation(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote", method="borda")
    a, b, c = priority_ids(app, consultation.id)
    batch_id = _open_batch(app, consultation, facilitator, declared=1)
    response = desk.post(f"/lots-papier/{batch_id}", data={"copies": "1", f"rank-{a}": "1", f"rank-{b}": "1"})
    assert response.status_code == 422 and f'id="rank-{b}-error"' in _html(response)
    response = desk.post(f"/lots-papier/{batch_id}", data={"copies": "1", f"rank-{c}": "1", f"rank-{a}": "2"})
    assert response.status_code == 303
    assert _get(app, PaperBatch, batch_id).draft == [[c, a]]


# Assisted ballots -------------------------------------------------------------------------------

def test_assisted_ballot_counts_once_for_the_named_resident(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote", method="single")
    a, _b, _c = priority_ids(app, consultation.id)
    person = make_user(app, pseudonym="Madame Rose", home_territory_id=world.quartier.id)
    url = f"/consultations/{consultation.id}/vote-assiste"
    assert 'name="choice"' in _html(desk.get(url))
    response = desk.post(url, data={"person": "madame rose", "choice": a})
    assert response.status_code == 422 and 'id="consent-error"' in _html(response)
    assert 'value="madame rose"' in _html(response)
    response = desk.post(url, data={"person": "madame rose", "choice": a, "consent": "y"})
    assert response.status_code == 303
    with app.app_context():
        participation = db.session.get(Participation, (consultation.id, person.id))
        assert (participation.channel, participation.entered_by_id) == ("assiste", facilitator.id)
        ballots = db.session.execute(select(Ballot)).scalars().all()
        assert [(b.channel, b.voter_id) for b in ballots] == [("assiste", None)]  # secret: no voter
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ballot.assisted")).scalar_one()
        assert entry.actor_id == facilitator.id and entry.detail_dict["person_id"] == person.id
    # Twice: refused next to the person field.
    response = desk.post(url, data={"person": person.email, "choice": a, "consent": "y"})
    assert response.status_code == 422 and 'id="person-error"' in _html(response)
    assert _count(app, Ballot) == 1


def test_assisted_ballot_refuses_unknown_and_ineligible_people_next_to_the_field(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote", method="single")
    a = priority_ids(app, consultation.id)[0]
    outsider = make_user(app, home_territory_id=world.other_commune.id)
    url = f"/consultations/{consultation.id}/vote-assiste"
    for who in ("personne-inconnue@example.org", outsider.email):
        response = desk.post(url, data={"person": who, "choice": a, "consent": "y"})
        assert response.status_code == 422 and 'id="person-error"' in _html(response), who
    response = desk.post(url, data={"person": outsider.email, "consent": "y"})
    assert response.status_code == 422 and 'id="choice-error"' in _html(response)
    assert _count(app, Ballot) == 0


# Follow-up ----------------------------------------------------------------------------------------

def test_milestone_form_errors_and_publication(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="suivi")
    pid = priority_ids(app, consultation.id)[0]
    url = f"/priorites/{pid}/suivi/nouveau"
    assert 'name="status"' in _html(desk.get(url))
    response = desk.post(url, data={"happened_on": "2027-03-02", "text": "Projet arrêté", "status": "abandonne",
                                    "progress": "20"})
    html = _html(response)
    assert response.status_code == 422 and 'id="reason-error"' in html and "Projet arrêté" in html
    response = desk.post(url, data={"happened_on": "2027-03-02", "text": "Étude", "status": "en_cours",
                                    "progress": "140"})
    assert response.status_code == 422 and 'id="progress-error"' in _html(response)
    response = desk.post(url, data={"happened_on": "2027-03-02", "text": "Le local est trouvé.",
                                    "status": "en_cours", "progress": "40"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/priorites/{pid}")
    with app.app_context():
        milestone = db.session.execute(select(Milestone)).scalar_one()
        assert (milestone.status, milestone.progress, milestone.by_id) == ("en_cours", 40, facilitator.id)
    assert "priority.milestone" in _audit_actions(app)


def test_milestones_wait_for_the_close_of_the_vote(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="vote")
    pid = priority_ids(app, consultation.id)[0]
    response = desk.post(f"/priorites/{pid}/suivi/nouveau", data={
        "happened_on": "2027-03-02", "text": "Trop tôt", "status": "engage", "progress": "0"})
    assert response.status_code == 422 and 'class="error-summary"' in _html(response)
    assert _count(app, Milestone) == 0


def test_the_public_priority_page_shows_needs_rank_and_timeline(app, world, facilitator, desk):
    need = make_need(app, territory_id=world.commune.id, title="Pas de centre de santé")
    consultation = _consultation(app, facilitator, world, phase="suivi", method="single",
                                 need_ids_per_priority={0: [need.id]})
    a, b, _c = priority_ids(app, consultation.id)
    with app.app_context():
        c = db.session.get(Consultation, consultation.id)
        by = db.session.get(User, facilitator.id)
        priority = db.session.get(Priority, int(a))
        services.post_milestone(priority, by, happened_on=datetime(2027, 3, 2).date(), text="Étude lancée",
                                status="a_l_etude", progress=10)
        services.post_milestone(priority, by, happened_on=datetime(2027, 5, 20).date(), text="Projet arrêté",
                                status="abandonne", progress=30, reason="Pas de financement de l'ARS")
        db.session.commit()
        assert c.phase() == "suivi"
    anonymous = app.test_client()
    html = _html(anonymous.get(f"/priorites/{a}"))
    assert "Priorité 1" in html and f'href="/consultations/{consultation.id}"' in html
    assert f'href="/besoins/{need.id}"' in html
    assert html.index("Étude lancée") < html.index("Projet arrêté")
    assert '<time datetime="2027-03-02">2 mars 2027</time>' in html
    assert '<progress id="progress-' in html and 'value="30"' in html
    assert "Pas de financement de l&#39;ARS" in html
    assert f"/priorites/{a}/suivi/nouveau" not in html  # no manager link for the public
    assert f"/priorites/{a}/suivi/nouveau" in _html(desk.get(f"/priorites/{a}"))
    assert "Aucune étape" in _html(anonymous.get(f"/priorites/{b}")) or "No follow-up step" in _html(
        anonymous.get(f"/priorites/{b}"))


def test_the_priority_page_gives_its_rank_once_results_are_public(app, world, facilitator):
    consultation = _consultation(app, facilitator, world, phase="vote", method="single")
    a, b, _c = priority_ids(app, consultation.id)
    for choice in (b, b, a):
        cast(app, consultation.id, choice, territory_id=world.commune.id)
    anonymous = app.test_client()
    assert 'id="priority-rank"' not in _html(anonymous.get(f"/priorites/{b}"))  # results after the close
    with app.app_context():
        c = db.session.get(Consultation, consultation.id)
        c.vote_ends_at = datetime.now(UTC)
        db.session.commit()
    html = _html(anonymous.get(f"/priorites/{b}"))
    assert re.search(r'id="priority-rank">[^<]*\b1\b[^<]*\b3\b', html)
    assert re.search(r'id="priority-rank">[^<]*\b2\b[^<]*\b3\b', _html(anonymous.get(f"/priorites/{a}")))


def test_the_priority_page_runs_as_many_queries_with_many_steps_and_needs(app, world, facilitator):
    needs = [make_need(app, territory_id=world.commune.id).id for _ in range(4)]
    consultation = _consultation(app, facilitator, world, phase="suivi", need_ids_per_priority={0: needs[:1]})
    other = _consultation(app, facilitator, world, phase="suivi", need_ids_per_priority={0: needs})
    anonymous = app.test_client()

    def steps(cid, n):
        pid = int(priority_ids(app, cid)[0])
        with app.app_context():
            for i in range(n):
                services.post_milestone(db.session.get(Priority, pid), db.session.get(User, facilitator.id),
                                        happened_on=datetime(2027, 1, 1 + i).date(), text=f"Étape {i}",
                                        status="en_cours", progress=10 * i)
            db.session.commit()
        return pid

    one, many = steps(consultation.id, 1), steps(other.id, 6)
    anonymous.get(f"/priorites/{one}"), anonymous.get(f"/priorites/{many}")  # results cached
    with count_queries(app) as few:
        anonymous.get(f"/priorites/{one}")
    with count_queries(app) as more:
        assert "Étape 5" in _html(anonymous.get(f"/priorites/{many}"))
    assert len(more) == len(few), "\n".join(s[:90] for s in more)


def test_after_the_close_the_desk_links_the_results_and_the_follow_up_steps(app, world, facilitator, desk):
    consultation = _consultation(app, facilitator, world, phase="resultats")
    html = _html(desk.get(f"/consultations/{consultation.id}/gestion"))
    assert f'href="/consultations/{consultation.id}/resultats"' in html
    for pid in priority_ids(app, consultation.id):
        assert f'href="/priorites/{pid}/suivi/nouveau"' in html
        assert f'action="/priorites/{pid}/supprimer"' not in html  # priorities are settled
    assert f"/consultations/{consultation.id}/lots-papier/nouveau" not in html


def test_the_list_offers_facilitators_to_open_a_consultation_and_nobody_else(app, client, login_as):
    assert 'href="/consultations/nouvelle"' not in _html(client.get("/consultations"))
    login_as("resident")
    assert 'href="/consultations/nouvelle"' not in _html(client.get("/consultations"))
    facilitator = client_for(app, make_user(app, role="facilitator", territory_id=_commune_id(app)))
    assert 'href="/consultations/nouvelle"' in _html(facilitator.get("/consultations"))


def _commune_id(app) -> int:
    from civicsante.reference.models import Territory

    with app.app_context():
        return db.session.execute(select(Territory.id).where(Territory.code == "01001")).scalar_one()
