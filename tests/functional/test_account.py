"""A resident's own account: profile, password, download my data, delete my account."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from civicsante.accounts.models import RoleAssignment, User, UserSession
from civicsante.audit import AuditEntry
from civicsante.extensions import db
from tests.conftest import log_in
from tests.support.factories import PASSWORD, make_comment, make_need, make_user


def test_profile_saves_territory_age_band_sex_and_language(app, client, world):
    user = make_user(app, pseudonym="Habitante")
    log_in(client, user.email)
    page = client.get("/compte").get_data(as_text=True)
    assert "Les Tilleuls" in page  # territories offered in the select
    response = client.post("/compte", data={
        "pseudonym": "Habitante des Tilleuls", "home_territory_id": str(world.quartier.id),
        "age_band": "65_74", "sex": "femme", "language": "fr"})
    assert response.status_code == 303
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.pseudonym, saved.home_territory_id, saved.age_band, saved.sex) == (
            "Habitante des Tilleuls", world.quartier.id, "65_74", "femme")


def test_profile_error_keeps_what_was_typed(app, client, world):
    make_user(app, pseudonym="Déjà pris")
    user = make_user(app)
    log_in(client, user.email)
    response = client.post("/compte", data={
        "pseudonym": "déjà pris", "home_territory_id": str(world.commune.id),
        "age_band": "25_34", "sex": "", "language": "fr"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="déjà pris"' in page
    assert f'<option selected value="{world.commune.id}">' in page
    assert '<option selected value="25_34">' in page


def test_choosing_english_in_profile_switches_the_site(app, client):
    user = make_user(app)
    log_in(client, user.email)
    client.post("/compte", data={"pseudonym": user.pseudonym, "home_territory_id": "",
                                 "age_band": "", "sex": "", "language": "en"})
    assert "My profile" in client.get("/compte").get_data(as_text=True)


def test_change_password_requires_the_current_one_and_logs_out_other_devices(app, client):
    user = make_user(app)
    log_in(client, user.email)
    other = app.test_client()
    log_in(other, user.email)
    wrong = client.post("/compte/mot-de-passe", data={
        "current_password": "pas le bon", "new_password": "nouvelle phrase secrète",
        "new_password_confirm": "nouvelle phrase secrète"})
    assert wrong.status_code == 422
    ok = client.post("/compte/mot-de-passe", data={
        "current_password": PASSWORD, "new_password": "nouvelle phrase secrète",
        "new_password_confirm": "nouvelle phrase secrète"})
    assert ok.status_code == 303
    assert client.get("/compte").status_code == 200     # this device stays signed in
    assert other.get("/compte").status_code == 302      # the other one is logged out


def test_download_my_data_returns_everything_about_me_as_json(app, client, world):
    user = make_user(app, pseudonym="Exportatrice", home_territory_id=world.commune.id,
                     role="facilitator", territory_id=world.commune.id)
    log_in(client, user.email)
    response = client.post("/compte/mes-donnees")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    account = data["account"]
    assert account["email"] == user.email and account["pseudonym"] == "Exportatrice"
    assert account["home_territory"] == {"code": world.commune.code, "name": "Belrive"}
    assert account["roles"][0]["role"] == "facilitator"
    assert any(a["action"] == "account.login" for a in account["activity_log"])


def test_delete_account_erases_personal_data_and_ends_sessions(app, client, world):
    user = make_user(app, pseudonym="Partante", home_territory_id=world.commune.id,
                     role="facilitator", territory_id=world.commune.id)
    log_in(client, user.email)
    refused = client.post("/compte/supprimer", data={"password": "pas le bon", "confirm": "y"})
    assert refused.status_code == 422
    response = client.post("/compte/supprimer", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 303
    assert client.get("/compte").status_code == 302
    with app.app_context():
        erased = db.session.get(User, user.id)
        assert erased.email is None and erased.pseudonym is None and erased.password_hash is None
        assert erased.home_territory_id is None and erased.deleted_at is not None
        assert erased.public_name == "compte supprimé"
        assert db.session.execute(select(func.count()).select_from(RoleAssignment)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(UserSession)).scalar_one() == 0
        assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "account.delete")).first()
    # The address is free again, and the old credentials no longer work.
    assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 422


def test_after_deletion_the_needs_and_comments_stay_public_under_compte_supprime(app, client, world):
    user = make_user(app, pseudonym="Partante", home_territory_id=world.commune.id)
    need = make_need(app, author_id=user.id, territory_id=world.commune.id, title="Pas de pédiatre à Belrive")
    other = make_need(app, territory_id=world.commune.id, title="Un besoin d'une autre personne")
    make_comment(app, need_id=other.id, author_id=user.id, body="Moi aussi, je cherche depuis un an.")
    log_in(client, user.email)
    assert client.post("/compte/supprimer", data={"password": PASSWORD, "confirm": "y"}).status_code == 303
    own_page = client.get(f"/besoins/{need.id}").get_data(as_text=True)
    assert "Pas de pédiatre à Belrive" in own_page and "compte supprimé" in own_page
    assert "Partante" not in own_page
    comment_page = client.get(f"/besoins/{other.id}").get_data(as_text=True)
    assert "Moi aussi, je cherche depuis un an." in comment_page and "compte supprimé" in comment_page
    assert "Partante" not in comment_page


def test_account_pages_need_login(client):
    for path in ("/compte", "/compte/mot-de-passe", "/compte/mes-donnees", "/compte/supprimer"):
        response = client.get(path)
        assert response.status_code == 302 and "/connexion?next=" in response.headers["Location"]


def test_login_redirects_to_the_page_asked_but_never_off_site(app, client):
    user = make_user(app)
    response = client.post("/connexion?next=/compte/mes-donnees", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/compte/mes-donnees")
    client.post("/deconnexion")
    response = client.post("/connexion?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert "evil.example" not in response.headers["Location"]


def test_my_data_includes_my_needs_supports_and_comments(app, client, world):
    from civicsante.needs import services as needs
    from civicsante.needs.models import Need
    from tests.support.factories import make_need

    user = make_user(app, home_territory_id=world.commune.id)
    mine = make_need(app, author_id=user.id, territory_id=world.commune.id, title="Mon besoin à moi")
    other = make_need(app, territory_id=world.commune.id)
    with app.app_context():
        person = db.session.get(User, user.id)
        needs.support(db.session.get(Need, other.id), person)
        needs.add_comment(db.session.get(Need, other.id), person, "Je confirme, même chose chez moi.")
        db.session.commit()
    log_in(client, user.email)
    data = json.loads(client.post("/compte/mes-donnees").get_data(as_text=True))["needs"]
    assert [n["title"] for n in data["needs"]] == ["Mon besoin à moi"]
    assert [s["need_id"] for s in data["supports"]] == [other.id]
    assert data["comments"][0]["body"] == "Je confirme, même chose chez moi."
    assert set(data["following"]) == {mine.id, other.id}
