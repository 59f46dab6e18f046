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
    assert many == few
    assert many <= 6


@pytest.mark.parametrize("path", ["/admin/territoires", "/admin/etablissements", "/admin/associations"])
def test_reference_lists_run_a_bounded_number_of_queries(app, client, world, login_as, path):
    login_as("admin")
    few = _queries_for(app, client, path)
    for i in range(30):
        commune = make_territory(app, parent_id=world.departement.id)
        make_establishment(app, territory_id=commune.id)
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
