"""A facilitator's tools in the needs area, each page checked with axe as it is used: the
moderation queue, the assisted entry form (with its errors), the notification centre."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.needs import services
from civicsante.needs.models import EN_EXAMEN, Comment, Need
from tests.e2e.conftest import fr_or_en, log_in
from tests.support.factories import PASSWORD, make_comment, make_need, make_user, make_world


def test_facilitator_pages_moderation_queue_assisted_entry_and_notifications(site, live_app):
    world = make_world(live_app)
    facilitator = make_user(live_app, role="facilitator", territory_id=world.commune.id,
                            home_territory_id=world.commune.id)
    colleague = make_user(live_app, role="facilitator", territory_id=world.commune.id)
    reported = make_need(live_app, territory_id=world.quartier.id, title="Besoin signalé aux Tilleuls")
    commented = make_need(live_app, territory_id=world.commune.id, title="Transport vers le CMP")
    comment = make_comment(live_app, need_id=commented.id, body="Un commentaire signalé.")
    reporters = [make_user(live_app).id for _ in range(4)]
    with live_app.app_context():
        for n, reporter_id in enumerate(reporters[:3]):  # the third report hides the need until reviewed
            services.report(db.session.get(Need, reported.id), db.session.get(User, reporter_id),
                            f"Signalement {n + 1}", auto_hide_after=3)
        services.report(db.session.get(Comment, comment.id), db.session.get(User, reporters[3]),
                        "Hors sujet", auto_hide_after=3)
        # The facilitator follows a need whose status a colleague then changes.
        services.follow(db.session.get(Need, commented.id), db.session.get(User, facilitator.id))
        services.set_status(db.session.get(Need, commented.id), EN_EXAMEN, db.session.get(User, colleague.id),
                            "Nous en parlons au conseil local.")
        db.session.commit()
    page = site.page
    menu = page.get_by_role("navigation", name=fr_or_en("Menu principal", "Main menu"))
    log_in(site, facilitator.email, PASSWORD)

    # The list offers the facilitator's tools: first the moderation queue.
    site.goto("/besoins")
    site.navigate(lambda: page.locator("main").get_by_role(
        "link", name=fr_or_en("Modération", "Moderation"), exact=True).click())
    expect(page).to_have_url(site.url("/moderation"))
    queue = page.locator(".moderation-queue > li")
    expect(queue).to_have_count(2)
    expect(queue.filter(has_text="Besoin signalé aux Tilleuls")).to_contain_text("Signalement 3")
    expect(queue.filter(has_text="Transport vers le CMP")).to_contain_text("Un commentaire signalé.")

    # Assisted entry: the form, then its errors (nobody named, nothing filled in).
    site.navigate(lambda: page.locator("main").get_by_role(
        "link", name=fr_or_en("Saisir un besoin pour le compte d'une personne", "Enter a need for someone")).click())
    expect(page).to_have_url(site.url("/besoins/saisie-assistee"))
    expect(page.locator("#territory_id")).to_contain_text(world.commune.name)
    site.navigate(lambda: page.get_by_role(
        "button", name=fr_or_en("Enregistrer le besoin", "Record the need")).click())
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")

    # The notification centre: the status change, unread, then all marked as read.
    site.navigate(lambda: menu.get_by_role("link", name=re.compile(r"^Notifications")).click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    entry = page.locator(".notification-list li")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Transport vers le CMP")
    expect(entry).to_contain_text("Nous en parlons au conseil local.")
    site.navigate(lambda: page.get_by_role(
        "button", name=fr_or_en("Tout marquer comme lu", "Mark all as read")).click())
    expect(page.locator(".notification--unread")).to_have_count(0)
    expect(menu.get_by_role("link", name=re.compile(r"^Notifications"))).to_have_accessible_name(
        re.compile(r"^Notifications$"))
