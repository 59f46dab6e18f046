"""A resident starts to raise a need, is shown that a neighbour already raised it, and supports
that one instead; then withdraws the support and gives it again, in place."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from civicsante.extensions import db
from civicsante.needs.models import Need, Support
from tests.e2e.conftest import fr_or_en, log_in, main_menu
from tests.support.factories import PASSWORD, make_need, make_user, make_world

EXISTING = "Plus de médecin généraliste aux Tilleuls"
TYPED = "Pas de medecin generaliste"  # no accents, other case: still found


def _supports(app, need_id: int, user_id: int | None = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Support).where(Support.need_id == need_id)
        if user_id is not None:
            query = query.where(Support.user_id == user_id)
        return db.session.execute(query).scalar_one()


def test_resident_is_shown_a_similar_need_and_supports_it_instead(site, live_app):
    world = make_world(live_app)
    existing = make_need(live_app, territory_id=world.quartier.id, title=EXISTING, supports=2)
    make_need(live_app, territory_id=world.commune.id, title="Pas de transport vers le CMP")
    resident = make_user(live_app, pseudonym="Noor", home_territory_id=world.commune.id)
    before = existing.supports_count
    page = site.page

    log_in(site, resident.email, PASSWORD)
    site.navigate(lambda: main_menu(page).get_by_role(
        "link", name=fr_or_en("Besoins de santé", "Health needs")).click())
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Besoins de santé", "Health needs"))
    site.navigate(lambda: page.locator("main").get_by_role(
        "link", name=fr_or_en("Exprimer un besoin", "Raise a need")).click())
    expect(page).to_have_url(site.url("/besoins/nouveau"))
    expect(page.locator("#territory_id")).to_have_value(str(world.commune.id))  # their home, by default

    # Typing the title asks for similar needs (htmx partial): the neighbour's need shows up,
    # although typed without accents and in other words.
    page.locator("#title").press_sequentially(TYPED)
    suggestions = page.locator("#similar-needs")
    expect(suggestions.get_by_role("heading", level=2)).to_have_text(
        fr_or_en("Votre besoin ressemble", "Does your need look like one of these"))
    expect(suggestions.get_by_role("link", name=EXISTING)).to_be_visible()
    expect(suggestions).not_to_contain_text("CMP")
    site.check()

    # Supports it instead of publishing a duplicate: lands on its page, counted.
    site.navigate(lambda: suggestions.get_by_role("button", name=re.compile(re.escape(EXISTING))).click())
    expect(page).to_have_url(site.url(f"/besoins/{existing.id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(EXISTING)
    expect(page.get_by_role("status")).to_contain_text(
        fr_or_en("votre soutien est compté", "your support is counted"))
    box = page.locator(f"#support-{existing.id}")
    button = page.locator(f"#support-button-{existing.id}")
    expect(box.locator(".support-count strong")).to_have_text(str(before + 1))
    expect(button).to_have_text(fr_or_en("Retirer mon soutien", "Withdraw my support"))
    assert _supports(live_app, existing.id, resident.id) == 1
    with live_app.app_context():  # no duplicate was published
        assert db.session.execute(select(func.count()).select_from(Need)).scalar_one() == 2

    # Withdraws: the box changes in place (no new page), and the focus stays on its button.
    pages_shown = len(site.shown)
    button.click()
    expect(box.locator(".support-count strong")).to_have_text(str(before))
    expect(button).to_have_text(fr_or_en("Moi aussi", "Me too"))
    expect(button).to_be_focused()
    site.check()
    assert _supports(live_app, existing.id, resident.id) == 0

    # Supports again from the keyboard, where the focus already is.
    page.keyboard.press("Space")
    expect(box.locator(".support-count strong")).to_have_text(str(before + 1))
    expect(button).to_have_text(fr_or_en("Retirer mon soutien", "Withdraw my support"))
    expect(button).to_be_focused()
    site.check()
    assert _supports(live_app, existing.id, resident.id) == 1
    assert len(site.shown) == pages_shown and page.url == site.url(f"/besoins/{existing.id}")
