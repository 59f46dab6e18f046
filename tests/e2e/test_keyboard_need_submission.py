"""Raising a need with the keyboard only: Tab from field to field, the selects and the consent
checkbox from the keyboard, a validation error first, then the need is published."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.extensions import db
from civicsante.needs.models import Need, NeedCategory
from tests.e2e.conftest import FOCUSED, fr_or_en, log_in, tab, tab_to
from tests.support.factories import PASSWORD, make_user, make_world

TITLE = "Navette vers le centre médico-psychologique"
TOO_SHORT = "Trop peu"  # under 10 characters: refused
DESCRIPTION = "Le CMP est à 25 km et aucun bus n'y va le matin. Une navette deux fois par semaine aiderait."
PUBLIC = "Adultes sans voiture"



def test_raise_a_need_with_the_keyboard_only(site, live_app):
    world = make_world(live_app)
    resident = make_user(live_app, home_territory_id=world.commune.id)
    with live_app.app_context():
        mental_health = db.session.execute(
            select(NeedCategory.id).where(NeedCategory.code == "sante_mentale")).scalar_one()
    page = site.page
    log_in(site, resident.email, PASSWORD)

    site.goto("/besoins")
    raise_link = fr_or_en("Exprimer un besoin", "Raise a need")
    tab_to(page, lambda f: f["tag"] == "a" and raise_link.fullmatch(f["text"]), "the link to raise a need")
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page).to_have_url(site.url("/besoins/nouveau"))

    # Skip link, then the fields in order.
    assert tab(page)["href"] == "#contenu"
    page.keyboard.press("Enter")
    assert tab(page)["id"] == "title"
    page.keyboard.type(TITLE)
    assert tab(page)["id"] == "description"
    page.keyboard.type(TOO_SHORT)
    assert tab(page)["id"] == "category_id"
    # A closed select changes with the arrow keys; "Santé mentale" is the second category.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#category_id")).to_have_value(str(mental_health))
    assert tab(page)["id"] == "territory_id"  # already their home territory
    expect(page.locator("#territory_id")).to_have_value(str(world.commune.id))
    assert tab(page)["id"] == "public_concerned"
    page.keyboard.type(PUBLIC)
    assert tab(page)["id"] == "consent"
    page.keyboard.press("Space")
    expect(page.locator("#consent")).to_be_checked()
    submit = tab(page)
    assert submit["tag"] == "button", submit
    site.navigate(lambda: page.keyboard.press("Enter"))

    # The error: the focus lands on the summary, which is read out; its first link leads to the
    # field in error, whose message is read along with it (aria-describedby); nothing is lost.
    expect(page).to_have_title(fr_or_en("Erreur", "Error"))
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(fr_or_en("au moins 10 caractères", "at least 10 characters"))
    expect(summary.get_by_role("link").first).to_have_attribute("href", "#description")
    assert tab(page)["href"] == "#description"
    page.keyboard.press("Enter")
    description = page.locator("#description")
    expect(description).to_be_focused()
    assert page.evaluate(FOCUSED)["visible"]
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(description).to_have_accessible_description(
        fr_or_en("au moins 10 caractères", "at least 10 characters"))
    expect(page.locator("#title")).to_have_value(TITLE)
    expect(description).to_have_value(TOO_SHORT)
    expect(page.locator("#category_id")).to_have_value(str(mental_health))
    expect(page.locator("#territory_id")).to_have_value(str(world.commune.id))
    expect(page.locator("#public_concerned")).to_have_value(PUBLIC)
    expect(page.locator("#consent")).to_be_checked()

    # Rewrites the description, then on to the button through the other fields, and publishes.
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(DESCRIPTION)
    for expected in ("category_id", "territory_id", "public_concerned", "consent"):
        assert tab(page)["id"] == expected
    assert tab(page)["tag"] == "button"
    site.navigate(lambda: page.keyboard.press("Enter"))

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status")).to_contain_text(fr_or_en("Votre besoin est publié", "Your need is published"))
    with live_app.app_context():
        need = db.session.execute(select(Need)).scalar_one()
        assert (need.title, need.description, need.category_id, need.territory_id, need.public_concerned,
                need.author_id) == (TITLE, DESCRIPTION, mental_health, world.commune.id, PUBLIC, resident.id)
    expect(page).to_have_url(site.url(f"/besoins/{need.id}"))
