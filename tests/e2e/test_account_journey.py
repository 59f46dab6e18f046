"""A resident's account, from sign-up to log-out, as they go through it in a browser."""
from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.extensions import db
from tests.e2e.conftest import fr_or_en, main_menu
from tests.support.factories import PASSWORD, make_user, make_world

EMAIL = "camille@example.org"
PSEUDONYM = "Camille des Tilleuls"
NEW_PASSWORD = "un jardin partagé aux Tilleuls"


def test_sign_up_log_in_edit_profile_switch_language_download_data_and_log_out(site, live_app):
    world = make_world(live_app)
    page = site.page

    site.goto("/")
    site.navigate(lambda: main_menu(page).get_by_role(
        "link", name=fr_or_en("Créer un compte", "Create an account")).click())
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Créer un compte", "Create an account"))
    page.locator("#pseudonym").fill(PSEUDONYM)
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#password_confirm").fill(NEW_PASSWORD)
    site.navigate(lambda: page.get_by_role("button", name=fr_or_en("Créer mon compte", "Create my account")).click())

    # Lands on their profile, welcomed by name.
    expect(page).to_have_url(site.url("/compte"))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Mon profil", "My profile"))
    expect(page.get_by_role("status")).to_contain_text(PSEUDONYM)
    expect(page.locator("main")).to_contain_text(EMAIL)

    # Logs out, then back in through the login form with the new account.
    site.navigate(lambda: main_menu(page).get_by_role("button", name=fr_or_en("Se déconnecter", "Log out")).click())
    site.navigate(lambda: main_menu(page).get_by_role("link", name=fr_or_en("Se connecter", "Log in")).click())
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(NEW_PASSWORD)
    site.navigate(lambda: page.locator("main").get_by_role("button", name=fr_or_en("Se connecter", "Log in")).click())
    expect(main_menu(page).get_by_role("button", name=fr_or_en("Se déconnecter", "Log out"))).to_be_visible()
    site.navigate(lambda: main_menu(page).get_by_role("link", name=fr_or_en("Mon compte", "My account")).click())
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Mon profil", "My profile"))

    # Edits the profile: where they live and an age band.
    page.locator("#home_territory_id").select_option(str(world.commune.id))
    page.locator("#age_band").select_option("35_49")
    site.navigate(lambda: page.get_by_role("button", name=fr_or_en("Enregistrer mon profil", "Save my profile")).click())
    expect(page.get_by_role("status")).to_contain_text(
        fr_or_en("Votre profil a été enregistré", "Your profile has been saved"))
    expect(page.locator("#home_territory_id")).to_have_value(str(world.commune.id))
    expect(page.locator("#age_band")).to_have_value("35_49")

    # Switches the site to English with the header button, then back to French.
    site.navigate(lambda: page.get_by_role("button", name="English").click())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(main_menu(page).get_by_role("button", name="Log out")).to_be_visible()
    site.navigate(lambda: page.get_by_role("button", name="Français").click())
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon profil")

    # Downloads their data: a JSON file with their e-mail and pseudonym.
    account_menu = page.get_by_role("navigation", name=fr_or_en("Mon compte", "My account"))
    site.navigate(lambda: account_menu.get_by_role("link", name=fr_or_en("Mes données", "My data")).click())
    with page.expect_download() as download_info:
        page.get_by_role("button", name=fr_or_en("Télécharger mes données", "Download my data")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["account"]["email"] == EMAIL
    assert data["account"]["pseudonym"] == PSEUDONYM
    assert data["account"]["home_territory"]["name"] == world.commune.name
    site.check()  # the page is still usable after the download

    # Logs out; the account page now sends them to the login page.
    site.navigate(lambda: main_menu(page).get_by_role("button", name=fr_or_en("Se déconnecter", "Log out")).click())
    expect(page).to_have_url(site.url("/"))
    expect(main_menu(page).get_by_role("link", name=fr_or_en("Se connecter", "Log in"))).to_be_visible()
    site.goto("/compte")
    expect(page).to_have_url(site.url("/connexion?next=%2Fcompte"))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr_or_en("Se connecter", "Log in"))

    with live_app.app_context():
        user = db.session.execute(select(User).where(User.email == EMAIL)).scalar_one()
        assert (user.pseudonym, user.home_territory_id, user.age_band, user.language) == (
            PSEUDONYM, world.commune.id, "35_49", "fr")


def test_login_with_wrong_password_shows_the_error_by_the_field_and_keeps_the_email(site, live_app):
    user = make_user(live_app)
    page = site.page

    site.goto("/connexion")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill("pas le bon mot de passe")
    site.navigate(lambda: page.locator("#password").press("Enter"))

    error = page.locator("#password-error")
    expect(error).to_have_text(fr_or_en("Adresse e-mail ou mot de passe incorrect", "E-mail address or password incorrect"))
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "password-error")
    expect(page.locator("#password")).to_have_value("")  # a password is never sent back
    expect(page.locator("#email")).to_have_value(user.email)
    expect(page.get_by_role("alert")).to_be_visible()  # the error summary, announced
    expect(page).to_have_title(fr_or_en("Erreur", "Error"))

    # And the right password still works from the same page.
    page.locator("#password").fill(PASSWORD)
    site.navigate(lambda: page.locator("main").get_by_role("button", name=fr_or_en("Se connecter", "Log in")).click())
    expect(page).to_have_url(site.url("/"))
    expect(main_menu(page).get_by_role("button", name=fr_or_en("Se déconnecter", "Log out"))).to_be_visible()
