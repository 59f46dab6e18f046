"""A facilitator merges a duplicate into the need kept; the person who supported the duplicate
finds out in their notification centre, and the duplicate's address leads to the kept need."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.needs import services
from civicsante.needs.models import FUSIONNE, Need, Support
from tests.e2e.conftest import fr_or_en, log_in, main_menu
from tests.support.factories import PASSWORD, make_need, make_user, make_world

KEPT = "Plus de médecin généraliste aux Tilleuls"
DUPLICATE = "Aucun médecin généraliste à Belrive"


def _log_out(site) -> None:
    site.navigate(lambda: main_menu(site.page).get_by_role(
        "button", name=fr_or_en("Se déconnecter", "Log out")).click())


def test_facilitator_merges_a_duplicate_and_its_supporter_is_told(site, live_app):
    world = make_world(live_app)
    facilitator = make_user(live_app, pseudonym="Animatrice Belrive", role="facilitator",
                            territory_id=world.commune.id, home_territory_id=world.commune.id)
    kept = make_need(live_app, territory_id=world.quartier.id, title=KEPT, supports=2)
    duplicate = make_need(live_app, territory_id=world.commune.id, title=DUPLICATE)
    supporter = make_user(live_app, pseudonym="Jo", home_territory_id=world.commune.id)
    with live_app.app_context():
        services.support(db.session.get(Need, duplicate.id), db.session.get(User, supporter.id))
        db.session.commit()
    page = site.page

    # The facilitator opens the duplicate and merges it into the older need.
    log_in(site, facilitator.email, PASSWORD)
    site.goto(f"/besoins/{duplicate.id}")
    moderation = page.get_by_role("region", name=fr_or_en("Modération", "Moderation"))
    site.navigate(lambda: moderation.get_by_role(
        "link", name=fr_or_en("Fusionner avec un autre besoin", "Merge into another need")).click())
    expect(page).to_have_url(site.url(f"/besoins/{duplicate.id}/fusionner"))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Fusionner un doublon", "Merge a duplicate"))
    # The need to keep is offered because it resembles the duplicate.
    choice = page.get_by_role("radio", name=re.compile(re.escape(KEPT)))
    expect(choice).to_have_count(1)
    choice.check()
    page.locator("#reason").fill("Même besoin, déjà soulevé aux Tilleuls.")
    site.navigate(lambda: page.get_by_role(
        "button", name=fr_or_en("Fusionner avec le besoin choisi", "Merge into the chosen need")).click())
    expect(page).to_have_url(site.url(f"/besoins/{kept.id}"))
    expect(page.get_by_role("status")).to_contain_text(fr_or_en("fusionnés", "merged"))
    expect(page.locator(f"#support-{kept.id} .support-count strong")).to_have_text(str(kept.supports_count + 1))
    with live_app.app_context():
        merged = db.session.get(Need, duplicate.id)
        assert (merged.status, merged.merged_into_id) == (FUSIONNE, kept.id)
        assert db.session.execute(select(Support.need_id).where(
            Support.user_id == supporter.id)).scalars().all() == [kept.id]
    _log_out(site)

    # The supporter logs in later: the menu shows one unread notification.
    log_in(site, supporter.email, PASSWORD)
    notifications = main_menu(page).get_by_role("link", name=re.compile(r"^Notifications"))
    expect(notifications).to_have_accessible_name(re.compile(r"\(1\b[^)]*\)$"))  # "(1 unread)", read out
    expect(notifications.locator(".badge")).to_have_text("1")
    site.navigate(lambda: notifications.click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    entry = page.locator(".notification-list li").filter(has_text=DUPLICATE)
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(KEPT)
    expect(entry).to_contain_text(fr_or_en("Non lu", "Unread"))

    # Its link leads to the kept need, which says where the duplicate went.
    site.navigate(lambda: entry.get_by_role("link").click())
    expect(page).to_have_url(site.url(f"/besoins/{kept.id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(KEPT)
    expect(page.get_by_role("status")).to_contain_text(DUPLICATE)
    expect(page.locator(f"#support-button-{kept.id}")).to_have_text(
        fr_or_en("Retirer mon soutien", "Withdraw my support"))  # their support moved along

    # So does the duplicate's address, typed or bookmarked.
    site.goto(f"/besoins/{duplicate.id}")
    expect(page).to_have_url(site.url(f"/besoins/{kept.id}"))
    expect(page.get_by_role("status")).to_contain_text(DUPLICATE)
