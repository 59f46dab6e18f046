"""A resident says they are interested in a vacant seat; the contact of the association of that
territory is told and sees them, with their e-mail, on the association's page."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import fr_or_en, log_in, main_menu
from tests.support.factories import PASSWORD, make_association, make_user, make_world
from tests.support.mandates import make_association_contact, make_instance, seat_ids


def test_resident_interest_reaches_the_association_contact(site, live_app):
    world = make_world(live_app)
    association = make_association(live_app, name="Usagers de la région", territory_id=world.region.id)
    contact = make_user(live_app, pseudonym="Contact régional")
    make_association_contact(live_app, association_id=association.id, user_id=contact.id)
    instance = make_instance(live_app, territory_id=world.commune.id, type_code="cts", name="CTS de Belrive",
                             seats=("ru_titulaire",))
    (seat_id,) = seat_ids(live_app, instance.id)
    resident = make_user(live_app, pseudonym="Camille", email="camille@example.org",
                         home_territory_id=world.commune.id)
    page = site.page

    log_in(site, resident.email, PASSWORD)
    site.goto("/representativite")
    expect(page.locator('#seats-type-table tr[data-key="cts"]')).to_have_attribute("data-vacant", "1")
    site.navigate(lambda: page.locator("main a[href='/sieges-vacants']").first.click())
    card = page.locator(f'[data-seat-id="{seat_id}"]')
    expect(card).to_contain_text("CTS de Belrive")
    site.navigate(lambda: card.locator(".interest-link").click())
    expect(page).to_have_url(site.url(f"/sieges-vacants/{seat_id}/interet"))
    page.locator("#message").fill("Disponible le mardi après-midi.")
    site.navigate(lambda: page.locator("#interest-form button[type=submit]").click())
    expect(page).to_have_url(site.url("/sieges-vacants"))
    expect(page.locator(f'[data-seat-id="{seat_id}"] [data-interested="true"]')).to_have_count(1)
    site.navigate(lambda: main_menu(page).get_by_role(
        "button", name=fr_or_en("Se déconnecter", "Log out")).click())

    log_in(site, contact.email, PASSWORD)
    site.goto("/notifications")
    expect(page.locator(".notification-list li").filter(has_text="Camille")).to_have_count(1)
    site.goto("/association/interesses")
    entry = page.locator("#interests li").filter(has_text="Camille")
    expect(entry).to_have_count(1)
    expect(entry.locator(".interest-email")).to_have_text("camille@example.org")
    expect(entry).to_contain_text("Disponible le mardi après-midi.")
    expect(entry).to_contain_text(re.compile("CTS de Belrive"))
    site.navigate(lambda: entry.locator("a[href^='/association/interesses/']").click())
    page.locator("#status").select_option("contacte")
    page.locator("#note").fill("Appelée, rendez-vous pris.")
    site.navigate(lambda: page.locator("#follow-up-form button[type=submit]").click())
    expect(page).to_have_url(site.url("/association/interesses"))
    expect(page.locator("#interests li").filter(has_text="Camille")).to_have_attribute("data-status", "contacte")
