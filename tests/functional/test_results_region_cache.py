"""The results region kept per worker (blueprints/consultations/results.RenderedRegions): drawn
once per set of figures, locale and view, never served once the results are counted again or
rewritten, never served where the results are not public, and bounded.

Assertions look for ids and figures, as in test_consultation_results_web.py."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from civicsante.blueprints.consultations import results as results_views
from civicsante.consultations import services
from civicsante.consultations.models import Consultation
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.support.consultations import make_consultation, priority_ids

HTMX = {"HX-Request": "true"}


def _url(cid: int) -> str:
    return f"/consultations/{cid}/resultats"


def _store(app, cid: int, ballots: list) -> None:
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        for ballot in ballots:
            services._store_ballot(consultation, ballot, channel="en_ligne")
        db.session.commit()


def _set(app, cid: int, **values) -> None:
    with app.app_context():
        db.session.execute(update(Consultation).where(Consultation.id == cid).values(**values))
        db.session.commit()


def _closed(app, world, ballots_of) -> tuple[int, list[str]]:
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method="single")
    p = priority_ids(app, c.id)
    _store(app, c.id, ballots_of(p))
    _set(app, c.id, vote_ends_at=utcnow() - timedelta(minutes=1))
    return c.id, p


def _counted(page: str) -> str:
    return re.search(r'<dd id="ballots-counted">([^<]+)</dd>', page).group(1)


@pytest.fixture
def drawings(monkeypatch):
    """How many times the region was drawn rather than served from the kept copies."""
    calls = []
    draw = results_views._draw_region

    def counting(*args, **kwargs):
        calls.append(1)
        return draw(*args, **kwargs)

    monkeypatch.setattr(results_views, "_draw_region", counting)
    return calls


def test_the_region_is_drawn_once_then_served_to_pages_and_htmx_alike(app, client, world, drawings):
    cid, _p = _closed(app, world, lambda p: [p[0]] * 3 + [p[1]])
    full = client.get(_url(cid)).get_data(as_text=True)
    assert len(drawings) == 1
    partial = client.get(_url(cid), headers=HTMX).get_data(as_text=True)
    again = client.get(_url(cid)).get_data(as_text=True)
    assert len(drawings) == 1
    assert partial.startswith('<div id="results-region"') and partial.strip() in again
    assert _counted(full) == _counted(again) == "4"


def test_results_counted_again_are_drawn_again_not_served_from_the_kept_copy(app, client, world, drawings):
    cid, p = _closed(app, world, lambda p: [p[0]] * 3 + [p[1]])
    assert _counted(client.get(_url(cid)).get_data(as_text=True)) == "4"
    # Ballots entered late (a paper batch validated after the close) count once the results are
    # cleared, as update_consultation clears them: the next visit counts again, at a new time.
    _store(app, cid, [p[2]] * 5)
    _set(app, cid, results_json=None, results_computed_at=None)
    page = client.get(_url(cid)).get_data(as_text=True)
    assert _counted(page) == "9"
    assert len(drawings) == 2
    # And the htmx partial of the same request path has the new figures too.
    assert _counted(client.get(_url(cid), headers=HTMX).get_data(as_text=True)) == "9"


def test_stored_results_rewritten_at_the_same_time_are_not_served_stale(app, client, world):
    cid, _p = _closed(app, world, lambda p: [p[0]] * 3 + [p[1]])
    client.get(_url(cid))
    with app.app_context():
        row = db.session.get(Consultation, cid)
        data = json.loads(row.results_json)
        computed_at = row.results_computed_at
    data["ballots"] = 12345
    _set(app, cid, results_json=json.dumps(data), results_computed_at=computed_at)
    page = client.get(_url(cid)).get_data(as_text=True)
    assert re.sub(r"\D", "", _counted(page)) == "12345"


def test_a_kept_region_never_reaches_a_view_where_the_results_are_not_public(app, client, world):
    cid, _p = _closed(app, world, lambda p: [p[0]] * 7 + [p[1]] * 4)
    assert _counted(client.get(_url(cid)).get_data(as_text=True)) == "11"
    with app.app_context():
        assert len(results_views.rendered_regions()) == 1
    # The vote is reopened (its end moved back into the future): the figures stay in the row
    # and a copy of the region is kept, but nobody may see them before the new close.
    _set(app, cid, vote_ends_at=utcnow() + timedelta(days=1))
    for headers in ({}, HTMX):
        page = client.get(_url(cid), headers=headers).get_data(as_text=True)
        assert 'id="results-pending"' in page
        for leak in ('id="ballots-counted"', "<svg", "data-rank=", "data-candidate=", 'id="downloads"'):
            assert leak not in page, leak
    with app.app_context():
        assert db.session.get(Consultation, cid).results_json is not None  # what was kept is still there


def test_each_locale_gets_its_own_region(app, client, world):
    cid, _p = _closed(app, world, lambda p: [p[0]] * 3 + [p[1]])
    french = client.get(_url(cid)).get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = client.get(_url(cid)).get_data(as_text=True)
    assert '<h2 id="ranking-title">Classement</h2>' in french
    assert '<h2 id="ranking-title">Ranking</h2>' in english and "Classement" not in english


def test_live_results_are_kept_only_until_they_are_counted_again(app, client, world, drawings):
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method="approval",
                          results_visibility="en_direct")
    p = priority_ids(app, c.id)
    _store(app, c.id, [[p[0]], [p[0], p[1]]])
    assert 'hx-trigger="every 10s"' in client.get(_url(c.id)).get_data(as_text=True)
    _store(app, c.id, [[p[2]]])
    assert _counted(client.get(_url(c.id), headers=HTMX).get_data(as_text=True)) == "2"
    assert len(drawings) == 1
    _set(app, c.id, results_computed_at=utcnow() - timedelta(seconds=6))
    partial = client.get(_url(c.id), headers=HTMX).get_data(as_text=True)
    assert _counted(partial) == "3" and len(drawings) == 2
    # At the close the kept live region (polling, "provisional") is not served for the final one.
    _set(app, c.id, vote_ends_at=utcnow() - timedelta(seconds=1))
    final = client.get(_url(c.id), headers=HTMX).get_data(as_text=True)
    assert "hx-trigger" not in final and 'id="results-provisional"' not in final
    assert 'id="downloads"' in final


def test_kept_regions_are_bounded_least_recently_served_first():
    regions = results_views.RenderedRegions(size=2)
    regions.put(("a",), "A")
    regions.put(("b",), "B")
    assert regions.get(("a",)) == "A"  # now the most recently served
    regions.put(("c",), "C")
    assert len(regions) == 2
    assert regions.get(("b",)) is None and regions.get(("a",)) == "A" and regions.get(("c",)) == "C"
