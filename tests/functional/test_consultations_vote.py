"""Consultations from the residents' side, through the test client: the list and its filters, a
consultation's page, the ballot page of every method, the confirmation step, the receipt; one
person one vote, secret and open ballots, who may vote and when.

Assertions look for ids, URLs, field values and the database rather than wording, so they hold
in French and in English (the French catalogue of these pages comes later)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civicsante.consultations.models import Ballot, BallotMark, Consultation, Participation
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.conftest import client_for
from tests.support.consultations import cast, make_consultation, priority_ids
from tests.support.factories import make_need, make_user
from tests.support.html import without_csrf
from tests.support.queries import count_queries

HTMX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _counts(app, consultation_id: int) -> tuple[int, int, int]:
    """(participations, ballots, marks) stored for the consultation."""
    with app.app_context():
        def count(model):
            return db.session.execute(select(func.count()).select_from(model)
                                      .where(model.consultation_id == consultation_id)).scalar_one()
        return count(Participation), count(Ballot), count(BallotMark)


def _marks(app, consultation_id: int) -> dict[str, int]:
    with app.app_context():
        return {str(pid): value for pid, value in db.session.execute(
            select(BallotMark.priority_id, BallotMark.value)
            .where(BallotMark.consultation_id == consultation_id)).all()}


def _hidden_fields(html: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        if name != "csrf_token":
            fields.setdefault(name, []).append(value)
    return fields


def _resident(app, world):
    return make_user(app, home_territory_id=world.quartier.id)  # inside world.commune


# A valid ballot per method (as form data) and the marks it stores, from the candidate ids.
def _valid(method: str, ids: list[str]) -> tuple[dict, dict[str, int]]:
    a, b, c = ids
    if method == "single":
        return {"choice": b}, {b: 1}
    if method == "approval":
        return {"approve": [a, c]}, {a: 1, c: 1}
    if method in ("borda", "schulze"):
        return {f"rank-{c}": "1", f"rank-{a}": "2", f"rank-{b}": ""}, {c: 1, a: 2}
    if method == "points":
        return {f"points-{a}": "6", f"points-{b}": "", f"points-{c}": "4"}, {a: 6, c: 4}
    return {f"grade-{a}": "6", f"grade-{b}": "0", f"grade-{c}": "3"}, {a: 6, b: 0, c: 3}


METHODS = ("single", "approval", "borda", "schulze", "points", "majority_judgment")


# The ballot, the confirmation, the receipt ----------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_every_method_ballot_is_checked_confirmed_and_counted_once(app, world, method):
    consultation = make_consultation(app, territory_id=world.commune.id, method=method)
    ids = priority_ids(app, consultation.id)
    voter = _resident(app, world)
    client = client_for(app, voter)
    url = f"/consultations/{consultation.id}/vote"

    page = client.get(url)
    html = _html(page)
    assert page.status_code == 200
    assert f'action="{url}"' in html and 'name="csrf_token"' in html
    assert "js/ballot.js" in html
    for cid in ids:
        assert cid in html  # every priority has its field
    if method == "majority_judgment":
        assert html.count('type="radio"') == 3 * 7 and html.count("<fieldset") == 3
    if method in ("borda", "schulze"):
        assert "data-ranking" in html and html.count("<select") == 3
    if method == "points":
        assert "data-points-remaining" in html

    data, marks = _valid(method, ids)
    confirmation = client.post(url, data=data)
    html = _html(confirmation)
    assert confirmation.status_code == 200
    assert f'action="/consultations/{consultation.id}/vote/confirmer"' in html
    assert f'formaction="{url}"' in html  # go back and change
    assert "Priorité" in html
    assert _counts(app, consultation.id) == (0, 0, 0)  # nothing stored before confirming

    confirmed = client.post(f"/consultations/{consultation.id}/vote/confirmer", data=_hidden_fields(html))
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith(f"/consultations/{consultation.id}/recu?vote=enregistre")
    assert _counts(app, consultation.id) == (1, 1, len(marks))
    assert _marks(app, consultation.id) == marks

    receipt = client.get(confirmed.headers["Location"])
    with app.app_context():
        code = db.session.get(Participation, (consultation.id, voter.id)).receipt
    assert receipt.status_code == 200 and code in _html(receipt)
    assert '<p class="flash flash--success">Merci, votre vote est enregistré.</p>' in _html(receipt)
    assert "Merci" not in _html(client.get(f"/consultations/{consultation.id}/recu"))  # said once


def test_the_confirmation_shows_the_ballot_in_words(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="majority_judgment")
    a, b, c = priority_ids(app, consultation.id)
    client = client_for(app, _resident(app, world))
    html = _html(client.post(f"/consultations/{consultation.id}/vote",
                             data={f"grade-{a}": "6", f"grade-{b}": "0", f"grade-{c}": "3"}))
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', html)
    assert rows == [("Priorité 1", "Excellent"), ("Priorité 2", "À rejeter"), ("Priorité 3", "Assez bien")] or \
        rows == [("Priorité 1", "Excellent"), ("Priorité 2", "To reject"), ("Priorité 3", "Fairly good")]


def test_a_ranking_is_confirmed_in_its_order(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="schulze", priorities=4)
    a, b, c, d = priority_ids(app, consultation.id)
    client = client_for(app, _resident(app, world))
    html = _html(client.post(f"/consultations/{consultation.id}/vote",
                             data={f"rank-{c}": "1", f"rank-{a}": "2", f"rank-{d}": "3"}))
    ranked = re.search(r'<ol class="ballot-summary">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<strong>(.*?)</strong>", ranked) == ["Priorité 3", "Priorité 1", "Priorité 4"]
    unranked = html.split('</ol>', 1)[1]
    assert "Priorité 2" in unranked


def test_going_back_from_the_confirmation_shows_the_ballot_filled_in(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="points")
    a, b, c = priority_ids(app, consultation.id)
    client = client_for(app, _resident(app, world))
    url = f"/consultations/{consultation.id}/vote"
    confirmation = _html(client.post(url, data={f"points-{a}": "7", f"points-{c}": "3"}))
    back = client.post(url, data={**_hidden_fields(confirmation), "change": "1"})
    html = _html(back)
    assert back.status_code == 200
    assert re.search(rf'name="points-{a}"[^>]*value="7"', html)
    assert re.search(rf'name="points-{c}"[^>]*value="3"', html)
    assert 'class="error-summary"' not in html
    assert _counts(app, consultation.id) == (0, 0, 0)


@pytest.mark.parametrize("method, data, field", [
    ("borda", lambda a, b, c: {f"rank-{a}": "1", f"rank-{b}": "1", f"rank-{c}": "2"}, "rank-{b}"),
    ("points", lambda a, b, c: {f"points-{a}": "8", f"points-{b}": "5", f"points-{c}": ""}, "ballot"),
    ("majority_judgment", lambda a, b, c: {f"grade-{a}": "4", f"grade-{c}": "2"}, "grade-{b}"),
])
def test_an_invalid_ballot_is_shown_again_with_the_error_next_to_the_field(app, world, method, data, field):
    consultation = make_consultation(app, territory_id=world.commune.id, method=method)
    a, b, c = priority_ids(app, consultation.id)
    client = client_for(app, _resident(app, world))
    form = data(a, b, c)
    response = client.post(f"/consultations/{consultation.id}/vote", data=form)
    html = _html(response)
    assert response.status_code == 422
    error_id = field.format(b=b) + "-error"
    assert f'id="{error_id}"' in html
    assert 'class="error-summary"' in html
    if field != "ballot":  # the field says it is in error, and which message describes it
        assert f'aria-describedby="{error_id}"' in html
    for name, value in form.items():  # nothing typed is lost
        if method == "borda":
            assert re.search(rf'<select name="{name}"[^>]*>.*?<option value="{value}" selected>', html, re.S)
        elif method == "points":
            assert re.search(rf'name="{name}"[^>]*value="{value}"', html)
        else:
            assert re.search(rf'name="{name}"[^>]*value="{value}"\s+checked', html)
    assert _counts(app, consultation.id) == (0, 0, 0)


def test_a_tampered_confirmation_is_refused_with_the_ballot_shown_again(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="majority_judgment")
    a, b, c = priority_ids(app, consultation.id)
    client = client_for(app, _resident(app, world))
    response = client.post(f"/consultations/{consultation.id}/vote/confirmer",
                           data={f"grade-{a}": "9", f"grade-{b}": "1", f"grade-{c}": "1"})
    assert response.status_code == 422
    assert f'id="grade-{a}-error"' in _html(response)
    assert _counts(app, consultation.id) == (0, 0, 0)


# One person, one vote ------------------------------------------------------------------------

def test_confirming_twice_counts_one_ballot_and_leads_to_the_receipt(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single")
    a, b, _c = priority_ids(app, consultation.id)
    client = client_for(app, _resident(app, world))
    confirm = f"/consultations/{consultation.id}/vote/confirmer"
    assert client.post(confirm, data={"choice": a}).status_code == 303
    again = client.post(confirm, data={"choice": b})
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/consultations/{consultation.id}/recu")
    assert _counts(app, consultation.id) == (1, 1, 1)
    assert _marks(app, consultation.id) == {a: 1}
    receipt = _html(client.get(again.headers["Location"]))
    assert 'class="flash flash--info"' in receipt


def test_a_secret_ballot_cannot_be_changed_and_its_receipt_shows_nothing_of_it(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="majority_judgment",
                                     secrecy="secret")
    a, b, c = priority_ids(app, consultation.id)
    voter = _resident(app, world)
    cast(app, consultation.id, {a: 5, b: 1, c: 2}, voter_id=voter.id)
    client = client_for(app, voter)
    page = client.get(f"/consultations/{consultation.id}/vote")
    assert page.status_code == 303 and page.headers["Location"].endswith(f"/consultations/{consultation.id}/recu")
    posted = client.post(f"/consultations/{consultation.id}/vote", data={f"grade-{a}": "0"})
    assert posted.status_code == 303
    receipt = _html(client.get(f"/consultations/{consultation.id}/recu"))
    assert "<table" not in receipt and f'href="/consultations/{consultation.id}/vote"' not in receipt
    with app.app_context():
        participation = db.session.get(Participation, (consultation.id, voter.id))
        assert participation.receipt in receipt
        assert db.session.execute(select(Ballot.voter_id)).scalar_one() is None
    assert _marks(app, consultation.id) == {a: 5, b: 1, c: 2}
    detail = _html(client.get(f"/consultations/{consultation.id}"))
    assert f'href="/consultations/{consultation.id}/recu"' in detail
    assert f'href="/consultations/{consultation.id}/vote"' not in detail


def test_an_open_ballot_can_be_changed_until_the_close_and_still_counts_once(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="borda", secrecy="ouvert")
    a, b, c = priority_ids(app, consultation.id)
    voter = _resident(app, world)
    client = client_for(app, voter)
    confirm = f"/consultations/{consultation.id}/vote/confirmer"
    assert client.post(confirm, data={f"rank-{a}": "1", f"rank-{b}": "2"}).status_code == 303

    receipt = _html(client.get(f"/consultations/{consultation.id}/recu"))
    assert re.findall(r"<strong>(Priorité \d)</strong>", receipt) == ["Priorité 1", "Priorité 2"]
    assert f'href="/consultations/{consultation.id}/vote"' in receipt
    page = _html(client.get(f"/consultations/{consultation.id}/vote"))  # pre-filled with their ballot
    assert re.search(rf'<select name="rank-{a}"[^>]*>.*?<option value="1" selected>', page, re.S)

    changed = client.post(confirm, data={f"rank-{c}": "1"})
    assert changed.status_code == 303
    assert "Votre bulletin a été modifié." in _html(client.get(changed.headers["Location"]))
    assert _counts(app, consultation.id) == (1, 1, 1)
    assert _marks(app, consultation.id) == {c: 1}

    with app.app_context():
        db.session.get(Consultation, consultation.id).vote_ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert client.post(confirm, data={f"rank-{a}": "1"}).status_code == 303
    assert _marks(app, consultation.id) == {c: 1}
    receipt = _html(client.get(f"/consultations/{consultation.id}/recu"))
    assert f'href="/consultations/{consultation.id}/vote"' not in receipt


# Who may vote, and when ----------------------------------------------------------------------

def test_a_resident_outside_the_territory_is_refused_and_nothing_is_stored(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single")
    a = priority_ids(app, consultation.id)[0]
    outsider = make_user(app, home_territory_id=world.other_commune.id)
    client = client_for(app, outsider)
    page = client.get(f"/consultations/{consultation.id}/vote")
    assert page.status_code == 403
    assert world.other_commune.name in _html(page) and 'href="/compte"' in _html(page)  # why, and where to fix it
    assert client.post(f"/consultations/{consultation.id}/vote", data={"choice": a}).status_code == 403
    assert client.post(f"/consultations/{consultation.id}/vote/confirmer", data={"choice": a}).status_code == 403
    assert _counts(app, consultation.id) == (0, 0, 0)
    detail = _html(client.get(f"/consultations/{consultation.id}"))
    assert world.other_commune.name in detail
    assert f'href="/consultations/{consultation.id}/vote"' not in detail


@pytest.mark.parametrize("phase", ["collecte", "deliberation", "resultats", "suivi"])
def test_nobody_votes_outside_the_vote_phase(app, world, phase):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single", phase=phase)
    a = priority_ids(app, consultation.id)[0]
    client = client_for(app, _resident(app, world))
    detail = f"/consultations/{consultation.id}"
    for response in (client.get(f"{detail}/vote"), client.post(f"{detail}/vote", data={"choice": a}),
                     client.post(f"{detail}/vote/confirmer", data={"choice": a})):
        assert response.status_code == 303 and response.headers["Location"].endswith(detail)
    assert _counts(app, consultation.id) == (0, 0, 0)
    html = _html(client.get(detail))
    assert 'class="flash flash--error"' in html
    assert f'href="{detail}/vote"' not in html


def test_anonymous_visitors_are_sent_to_log_in(app, client, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single")
    a = priority_ids(app, consultation.id)[0]
    base = f"/consultations/{consultation.id}"
    for response in (client.get(f"{base}/vote"), client.post(f"{base}/vote", data={"choice": a}),
                     client.post(f"{base}/vote/confirmer", data={"choice": a}), client.get(f"{base}/recu")):
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert _counts(app, consultation.id) == (0, 0, 0)
    detail = _html(client.get(base))
    assert re.search(rf'href="/connexion\?next=(/|%2F)consultations(/|%2F){consultation.id}(/|%2F)vote"', detail)


def test_the_receipt_is_only_for_those_who_voted(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single")
    client = client_for(app, _resident(app, world))
    assert client.get(f"/consultations/{consultation.id}/recu").status_code == 404
    assert client.get("/consultations/999999/recu").status_code == 404
    assert client.get("/consultations/999999").status_code == 404


# The page of a consultation -------------------------------------------------------------------

def test_the_page_shows_the_priorities_with_their_needs_the_calendar_and_the_rules(app, world):
    needs = [make_need(app, territory_id=world.quartier.id, title=f"Besoin d'origine {i}") for i in range(3)]
    consultation = make_consultation(app, territory_id=world.commune.id, method="points",
                                     need_ids_per_priority={0: [needs[0].id, needs[1].id], 2: [needs[2].id]})
    with app.app_context():
        priorities = [p.id for p in db.session.get(Consultation, consultation.id).priorities]
    client = app.test_client()
    html = _html(client.get(f"/consultations/{consultation.id}"))
    assert consultation.title in html and world.commune.name in html
    for need in needs:
        assert f'href="/besoins/{need.id}"' in html and need.title.replace("'", "&#39;") in html
    for pid in priorities:
        assert re.search(rf'href="/[^"]*{pid}[^"]*"', html)  # the priority's public follow-up
    # Five phases with their dates, the current one marked.
    assert html.count('class="phase-step ') == 5 and html.count('aria-current="step"') == 1
    assert re.search(r"\d{1,2} \w+ 20\d\d", html)
    assert "10" in html  # the points budget is explained
    # The results are not public before the close (after_close visibility).
    assert f'href="/consultations/{consultation.id}/resultats"' not in html


def test_the_page_links_the_results_once_public(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single", phase="resultats")
    html = _html(app.test_client().get(f"/consultations/{consultation.id}"))
    assert f'href="/consultations/{consultation.id}/resultats"' in html


def test_the_page_says_why_someone_without_a_home_territory_cannot_vote(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single")
    client = client_for(app, make_user(app))
    html = _html(client.get(f"/consultations/{consultation.id}"))
    assert 'href="/compte"' in html  # say where you live in your profile
    assert f'href="/consultations/{consultation.id}/vote"' not in html


def test_a_voter_gets_the_ballot_button(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single")
    client = client_for(app, _resident(app, world))
    html = _html(client.get(f"/consultations/{consultation.id}"))
    assert f'href="/consultations/{consultation.id}/vote"' in html


# The list --------------------------------------------------------------------------------------

def test_the_list_filters_by_territory_including_inside_and_by_phase(app, client, world):
    inside = make_consultation(app, territory_id=world.quartier.id, title="Dans le quartier", phase="vote")
    commune = make_consultation(app, territory_id=world.commune.id, title="Sur la commune", phase="collecte")
    other = make_consultation(app, territory_id=world.other_commune.id, title="Ailleurs", phase="vote")

    everything = _html(client.get("/consultations"))
    assert all(c.title in everything for c in (inside, commune, other))

    by_territory = _html(client.get(f"/consultations?territory_id={world.commune.id}"))
    assert inside.title in by_territory and commune.title in by_territory and other.title not in by_territory
    assert f'<option selected value="{world.commune.id}">' in by_territory  # the form shows the filter

    by_phase = _html(client.get("/consultations?phase=vote"))
    assert inside.title in by_phase and other.title in by_phase and commune.title not in by_phase

    both = client.get(f"/consultations?territory_id={world.commune.id}&phase=vote", headers=HTMX)
    partial = _html(both)
    assert "<html" not in partial and inside.title in partial
    assert commune.title not in partial and other.title not in partial
    assert "HX-Request" in both.headers["Vary"]
    full = _html(client.get(f"/consultations?territory_id={world.commune.id}&phase=vote"))
    assert without_csrf(partial).strip() in without_csrf(full)
    # The card of a consultation in its vote phase calls to vote.
    assert f'href="/consultations/{inside.id}/vote"' in partial


def test_the_list_form_updates_the_list_in_place_and_the_url(app, client):
    html = _html(client.get("/consultations"))
    assert 'method="get" action="/consultations"' in html
    assert 'hx-get="/consultations"' in html and 'hx-target="#consultation-list"' in html
    assert 'hx-push-url="true"' in html


def test_the_list_is_paginated(app, client, world):
    for i in range(app.config["PAGE_SIZE"] + 2):
        make_consultation(app, territory_id=world.commune.id, title=f"Consultation paginée {i:02d}",
                          priorities=1)
    first = _html(client.get("/consultations"))
    second = _html(client.get("/consultations?page=2"))
    assert 'rel="next"' in first
    assert second.count('class="consultation-card"') == 2


def test_the_list_marks_the_consultations_the_resident_voted_in(app, world):
    voted = make_consultation(app, territory_id=world.commune.id, method="single", title="Déjà votée")
    make_consultation(app, territory_id=world.commune.id, method="single", title="Pas encore")
    voter = _resident(app, world)
    cast(app, voted.id, priority_ids(app, voted.id)[0], voter_id=voter.id)
    html = _html(client_for(app, voter).get("/consultations"))
    assert f'href="/consultations/{voted.id}/recu"' in html
    assert f'href="/consultations/{voted.id}/vote"' not in html


# Queries ----------------------------------------------------------------------------------------

def _queries(app, client, path: str) -> int:
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_the_list_runs_the_same_queries_whatever_the_number_of_consultations(app, world, who):
    client = app.test_client()
    if who == "resident":
        client = client_for(app, _resident(app, world))
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
    for phase in ("vote", "collecte"):
        make_consultation(app, territory_id=world.quartier.id, facilitator_id=facilitator.id, phase=phase)
    paths = ["/consultations", f"/consultations?territory_id={world.commune.id}&phase=vote"]
    few = [_queries(app, client, p) for p in paths]
    for phase in ("vote", "collecte", "resultats", "suivi") * 4:
        make_consultation(app, territory_id=world.quartier.id, facilitator_id=facilitator.id, phase=phase,
                          priorities=1)
    many = [_queries(app, client, p) for p in paths]
    assert many == few
    assert max(many) <= 10


@pytest.mark.parametrize("who", ["anonymous", "voter", "facilitator"])
def test_the_page_runs_the_same_queries_whatever_the_number_of_priorities(app, world, who):
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id,
                            home_territory_id=world.commune.id)
    needs = [make_need(app, territory_id=world.quartier.id).id for _ in range(12)]
    few = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id, priorities=2,
                            need_ids_per_priority={0: needs[:1]})
    many = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id, priorities=12,
                             need_ids_per_priority={i: needs[i:i + 2] for i in range(1, 11)})
    client = app.test_client()
    if who == "voter":
        voter = _resident(app, world)
        for c in (few, many):
            cast(app, c.id, {cid: 3 for cid in priority_ids(app, c.id)}, voter_id=voter.id)
        client = client_for(app, voter)
    elif who == "facilitator":
        client = client_for(app, facilitator)
    counts = [_queries(app, client, f"/consultations/{c.id}") for c in (few, many)]
    assert counts[0] == counts[1]
    assert counts[1] <= 10


def test_only_the_facilitators_of_the_territory_get_the_link_to_manage(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="single")
    with app.test_request_context():
        from flask import url_for
        manage = url_for("consultations.manage", consultation_id=consultation.id)
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
    elsewhere = make_user(app, role="facilitator", territory_id=world.other_commune.id)
    assert f'href="{manage}"' in _html(client_for(app, facilitator).get(f"/consultations/{consultation.id}"))
    for user in (elsewhere, _resident(app, world)):
        assert f'href="{manage}"' not in _html(client_for(app, user).get(f"/consultations/{consultation.id}"))


def test_an_assisted_open_ballot_says_on_the_receipt_why_it_cannot_be_changed_online(app, world):
    from civicsante.accounts.models import User
    from civicsante.consultations import services

    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id,
                            home_territory_id=world.commune.id)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     secrecy="ouvert", method="single")
    person = _resident(app, world)
    first = priority_ids(app, consultation.id)[0]
    with app.app_context():
        services.cast_ballot(db.session.get(Consultation, consultation.id), db.session.get(User, person.id),
                             first, entered_by=db.session.get(User, facilitator.id))
        db.session.commit()
    page = _html(client_for(app, person).get(f"/consultations/{consultation.id}/recu"))
    assert "Priorité 1" in page  # their ballot is shown
    assert "saisi pour vous par un·e animateur·rice" in page
    assert f'href="/consultations/{consultation.id}/vote"' not in page
