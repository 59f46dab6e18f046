"""Every page works without JavaScript: sign up, edit the profile, switch language, log out,
with scripts disabled in the browser (htmx never runs; plain forms and links do the work)."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import fr_or_en
from tests.support.factories import make_world


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(locale="fr-FR", base_url=live_server, java_script_enabled=False)
    context.route(re.compile(r"^(?!" + re.escape(live_server) + r"(/|$))"), lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


def test_account_journey_without_javascript(no_js_page, live_app):
    page = no_js_page
    world = make_world(live_app)
    page.goto("/")
    page.get_by_role("link", name=fr_or_en("Créer un compte", "Create an account")).first.click()
    page.fill("#email", "sans-js@example.org")
    page.fill("#pseudonym", "Lecteur sans script")
    # A mismatch first: the server answers the errors, and what was typed is still there.
    page.fill("#password", "une phrase sans script")
    page.fill("#password_confirm", "une autre phrase")
    page.get_by_role("button", name=fr_or_en("Créer mon compte", "Create my account")).click()
    assert page.locator("#password_confirm-error").is_visible()
    assert page.input_value("#email") == "sans-js@example.org"
    page.fill("#password", "une phrase sans script")
    page.fill("#password_confirm", "une phrase sans script")
    page.get_by_role("button", name=fr_or_en("Créer mon compte", "Create my account")).click()
    assert page.url.endswith("/compte")

    page.select_option("#home_territory_id", str(world.quartier.id))
    page.select_option("#age_band", "35_49")
    page.get_by_role("button", name=fr_or_en("Enregistrer mon profil", "Save my profile")).click()
    assert page.locator("#home_territory_id").input_value() == str(world.quartier.id)
    assert page.get_by_role("status").is_visible()

    page.get_by_role("button", name=re.compile("^English")).click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name=re.compile("^Français")).click()
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("button", name=re.compile("Se déconnecter|Log out")).click()
    page.goto("/compte")
    assert "/connexion" in page.url
