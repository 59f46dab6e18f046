"""Signing up with the keyboard only: skip link, visible focus, every field reached by Tab."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.extensions import db
from tests.e2e.conftest import fr_or_en, tab, tab_to

PASSWORD = "trois pommes vertes sur la table"



def test_skip_link_is_first_and_moves_focus_to_main(site):
    page = site.page
    site.goto("/")

    first = tab(page)
    assert first["href"] == "#contenu"
    skip = page.get_by_role("link", name=fr_or_en("Aller au contenu principal", "Skip to main content"))
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown when focused, not left off-screen
    site.check()  # axe on the page with the skip link shown

    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    # The next Tab goes into the content, past the header and its menu.
    focused = tab(page)
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)"), focused


def test_sign_up_with_the_keyboard_only(site, live_app):
    page = site.page
    site.goto("/")

    # Through the header: skip link, site name, language, then the main menu up to "Créer un compte".
    assert tab(page)["href"] == "#contenu"
    create = fr_or_en("Créer un compte", "Create an account")
    tab_to(page, lambda f: f["tag"] == "a" and create.fullmatch(f["text"] or ""), "the link to create an account")
    site.navigate(lambda: page.keyboard.press("Enter"))
    expect(page.get_by_role("heading", level=1)).to_have_text(create)

    # After the (boosted) page change the focus starts again from the top: skip link, then the
    # first field; then each field follows the previous one.
    assert tab(page)["href"] == "#contenu"
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    assert tab(page)["id"] == "email"
    page.keyboard.type("dominique@example.org")
    assert tab(page)["id"] == "pseudonym"
    page.keyboard.type("Dominique")
    assert tab(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    assert tab(page)["id"] == "password_confirm"
    page.keyboard.type(PASSWORD)
    site.navigate(lambda: page.keyboard.press("Enter"))

    expect(page).to_have_url(site.url("/compte"))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Mon profil", "My profile"))
    expect(page.get_by_role("status")).to_contain_text("Dominique")
    with live_app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert (user.email, user.pseudonym) == ("dominique@example.org", "Dominique")
