"""Browsing the health needs: filters update the list in place (htmx), the address follows so
the list can be shared, and Back restores the previous list. Every state is checked with axe."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.extensions import db
from civicsante.needs.models import NeedCategory
from tests.support.factories import make_need, make_world


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _titles(page) -> list[str]:
    return page.locator("#need-results .need-card h2").all_inner_texts()


def test_filter_the_needs_list_and_go_back(site, live_app):
    world = make_world(live_app)
    make_need(live_app, territory_id=world.quartier.id, title="Plus de médecin généraliste aux Tilleuls")
    make_need(live_app, territory_id=world.commune.id, title="Pas de psychologue pour les jeunes à Belrive",
              category_code="sante_mentale")
    make_need(live_app, territory_id=world.commune.id, title="Groupe de parole en santé mentale",
              category_code="sante_mentale")
    make_need(live_app, territory_id=world.other_commune.id, title="Psychiatre introuvable à Montclair",
              category_code="sante_mentale")
    with live_app.app_context():
        mental_health = db.session.execute(
            select(NeedCategory.id).where(NeedCategory.code == "sante_mentale")).scalar_one()
    page = site.page
    results = page.locator("#need-results")
    count = results.locator(".results-count")

    # Anonymous readers see the list too.
    site.goto("/besoins")
    expect(count).to_have_text(re.compile(r"^4 "))

    # Each filter updates the list in place (htmx) and the address follows.
    page.locator("#territory_id").select_option(str(world.commune.id))  # its quartier included
    expect(count).to_have_text(re.compile(r"^3 "))
    expect(page).to_have_url(re.compile(rf"territory_id={world.commune.id}"))
    site.check()
    page.locator("#category_id").select_option(str(mental_health))
    expect(count).to_have_text(re.compile(r"^2 "))
    expect(page).to_have_url(re.compile(rf"category_id={mental_health}"))
    site.check()
    page.locator("#q").fill("psychologue jeunes")
    expect(count).to_have_text(re.compile(r"^1 "))
    expect(page).to_have_url(re.compile(r"q=psychologue"))
    assert _titles(page) == ["Pas de psychologue pour les jeunes à Belrive"]
    query = _query(page)
    assert (query["territory_id"], query["category_id"], query["q"]) == (
        [str(world.commune.id)], [str(mental_health)], ["psychologue jeunes"])
    site.check()
    filtered_url = page.url

    # Back restores the previous list: without the words, the other two filters still applied.
    site.navigate(lambda: page.go_back())
    query = _query(page)
    assert (query["territory_id"], query["category_id"], query.get("q", [""])) == (
        [str(world.commune.id)], [str(mental_health)], [""])
    expect(count).to_have_text(re.compile(r"^2 "))
    expect(page.locator("#territory_id")).to_have_value(str(world.commune.id))
    expect(page.locator("#category_id")).to_have_value(str(mental_health))
    expect(page.locator("#q")).to_have_value("")

    # The filtered address can be shared: opened afresh, the same list, the filters filled in.
    site.goto(filtered_url.removeprefix(site.base_url))
    assert _titles(page) == ["Pas de psychologue pour les jeunes à Belrive"]
    expect(page.locator("#q")).to_have_value("psychologue jeunes")
    expect(page.locator("#category_id")).to_have_value(str(mental_health))
