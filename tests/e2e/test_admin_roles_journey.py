"""An administrator gives a resident the facilitator role on a territory, then takes it back."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.accounts.models import RoleAssignment
from civicsante.extensions import db
from tests.e2e.conftest import fr_or_en
from tests.support.factories import PASSWORD, make_user, make_world


def test_admin_grants_and_revokes_the_facilitator_role(site, live_app):
    world = make_world(live_app)
    admin = make_user(live_app, role="admin", pseudonym="Admin Régionale")
    resident = make_user(live_app, pseudonym="Sacha Martin", home_territory_id=world.commune.id)
    make_user(live_app, pseudonym="Quelqu'un d'autre")
    page = site.page

    site.goto("/connexion")
    page.locator("#email").fill(admin.email)
    page.locator("#password").fill(PASSWORD)
    site.navigate(lambda: page.locator("main").get_by_role("button", name=fr_or_en("Se connecter", "Log in")).click())

    menu = page.get_by_role("navigation", name=fr_or_en("Menu principal", "Main menu"))
    site.navigate(lambda: menu.get_by_role("link", name="Administration").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    admin_menu = page.get_by_role("navigation", name="Administration")
    site.navigate(lambda: admin_menu.get_by_role(
        "link", name=fr_or_en("Personnes et rôles", "People and roles")).click())
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Personnes et rôles", "People and roles"))

    # Finds the resident by typing part of their pseudonym: the results update in place (htmx
    # partial) and the address follows, so the search can be shared.
    page.get_by_role("searchbox").fill("sacha")
    rows = page.locator("#user-results table tbody tr")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(site.url("/admin/utilisateurs?q=sacha"))
    site.check()
    site.navigate(lambda: rows.get_by_role("link", name="Sacha Martin").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Sacha Martin")

    # Grants the facilitator role on their commune.
    page.locator("#role").select_option("facilitator")
    page.locator("#territory_id").select_option(str(world.commune.id))
    site.navigate(lambda: page.get_by_role("button", name=fr_or_en("Attribuer le rôle", "Grant the role")).click())
    expect(page.get_by_role("status")).to_contain_text(fr_or_en("Rôle attribué", "Role granted"))
    granted = page.locator(".role-list li").filter(has_text=world.commune.name)
    expect(granted).to_have_count(1)
    with live_app.app_context():
        assignment = db.session.execute(select(RoleAssignment).where(
            RoleAssignment.user_id == resident.id)).scalar_one()
        assert (assignment.role, assignment.territory_id) == ("facilitator", world.commune.id)

    # Revokes it: the button names the role and its territory, not just "Revoke".
    revoke = page.get_by_role("button", name=re.compile(f"(Retirer|Révoquer|Revoke).*{world.commune.name}"))
    expect(revoke).to_have_count(1)
    site.navigate(lambda: revoke.click())
    expect(page.get_by_role("status")).to_contain_text(fr_or_en("Rôle retiré", "Role revoked"))
    expect(page.locator(".role-list li").filter(has_text=world.commune.name)).to_have_count(0)
    expect(page.locator(".role-list")).to_contain_text(fr_or_en("Aucun autre rôle", "No other role"))
    with live_app.app_context():
        assert db.session.execute(select(RoleAssignment).where(
            RoleAssignment.user_id == resident.id)).first() is None
