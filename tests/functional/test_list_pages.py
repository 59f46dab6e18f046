"""List pages: paginated, same markup as full page or htmx partial, bounded number of queries."""
from __future__ import annotations

import pytest

from tests.support.factories import make_establishment, make_territory, make_user
from tests.support.html import without_csrf
from tests.support.queries import count_queries


def _queries_for(app, client, path) -> int:
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_people_list_runs_the_same_few_queries_whatever_the_number_of_people(app, client, world, login_as):
    login_as("admin")
    for _ in range(3):
        make_user(app, role="facilitator", territory_id=world.commune.id)
    few = _queries_for(app, client, "/admin/utilisateurs")
    for _ in range(30):
        make_user(app, role="mediator", establishment_id=world.hospital.id)
    many = _queries_for(app, client, "/admin/utilisateurs")
    # A page that is not full knows its total without counting; a full one counts it, once.
    assert many == few + 1
    for _ in range(30):
        make_user(app, role="facilitator", territory_id=world.commune.id)
    assert _queries_for(app, client, "/admin/utilisateurs") == many
    assert many <= 6


@pytest.mark.parametrize("path", ["/admin/territoires", "/admin/etablissements", "/admin/associations"])
def test_reference_lists_run_a_bounded_number_of_queries(app, client, world, login_as, path):
    login_as("admin")

    def add_30():
        for _ in range(30):
            commune = make_territory(app, parent_id=world.departement.id)
            make_establishment(app, territory_id=commune.id)

    add_30()  # a full page of territories and establishments (their total counted)
    few = _queries_for(app, client, path)
    add_30()
    assert _queries_for(app, client, path) == few


def test_people_search_answers_the_partial_to_htmx_and_the_page_otherwise(app, client, world, login_as):
    login_as("admin")
    make_user(app, pseudonym="Gisèle Martin")
    make_user(app, pseudonym="Octave Durand")
    full = client.get("/admin/utilisateurs?q=gis")
    partial = client.get("/admin/utilisateurs?q=gis", headers={"HX-Request": "true"})
    boosted = client.get("/admin/utilisateurs?q=gis", headers={"HX-Request": "true", "HX-Boosted": "true"})
    back = client.get("/admin/utilisateurs?q=gis",
                      headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    full_html, partial_html = full.get_data(as_text=True), partial.get_data(as_text=True)
    assert "<html" in full_html and "<html" not in partial_html
    assert "<html" in boosted.get_data(as_text=True) and "<html" in back.get_data(as_text=True)
    assert "Gisèle Martin" in partial_html and "Octave Durand" not in partial_html
    # The page embeds exactly the markup the partial answers.
    assert without_csrf(partial_html).strip() in without_csrf(full_html)
    assert "HX-Request" in partial.headers["Vary"]


def test_people_list_is_paginated(app, client, login_as):
    login_as("admin")
    for i in range(30):
        make_user(app, pseudonym=f"Membre {i:02d}")
    first = client.get("/admin/utilisateurs").get_data(as_text=True)
    second = client.get("/admin/utilisateurs?page=2").get_data(as_text=True)
    assert "Page 1 sur 2" in first and 'rel="next"' in first
    assert "Membre 29" in second and "Membre 00" not in second


@pytest.mark.parametrize(("count", "page", "shown"), [
    (3, 1, 3),      # a page that is not full: the total without counting
    (25, 1, 25),    # exactly full: counted
    (60, 2, 25),    # full, with pages after it: counted
    (60, 3, 10),    # the last page, not full: the rows before plus its own
    (60, 4, 0),     # past the end: counted, and nothing shown
])
def test_the_total_and_the_pages_are_right_whether_counted_or_not(app, client, world, login_as, count, page, shown):
    login_as("admin")
    for _ in range(count - 2):  # the world has 2 establishments
        make_establishment(app, territory_id=world.commune.id)
    html = client.get(f"/admin/etablissements?page={page}").get_data(as_text=True)
    assert f"{count} établissements" in html
    assert html.count('<th scope="row">') == shown
    assert ('rel="next"' in html) == (page * 25 < count)
