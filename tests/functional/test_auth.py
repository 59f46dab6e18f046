"""Sign-up, login, logout and password reset as a visitor goes through them."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from civicsante.accounts.models import User, UserSession
from civicsante.extensions import db
from tests.conftest import log_in
from tests.support.factories import make_user


def _sign_up(client, **overrides):
    data = {"email": "Alice@Example.org", "pseudonym": "Alice du quartier",
            "password": "un jardin partagé aux Tilleuls", "password_confirm": "un jardin partagé aux Tilleuls"}
    data.update(overrides)
    return client.post("/inscription", data=data)


def test_sign_up_creates_account_and_logs_in(app, client):
    response = _sign_up(client)
    assert response.status_code == 303
    page = client.get("/compte").get_data(as_text=True)
    assert "Alice du quartier" in page
    assert "alice@example.org" in page  # stored in lower case
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.password_hash.startswith("$argon2id$")


def test_sign_up_refuses_common_password_and_keeps_what_was_typed(client):
    response = _sign_up(client, password="azerty123", password_confirm="azerty123")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ce mot de passe est trop courant" in page
    assert 'value="Alice@Example.org"' in page and 'value="Alice du quartier"' in page
    assert 'aria-invalid="true"' in page
    # Focus goes to the error summary (read out, with links to each field).
    assert 'class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title" autofocus' in page


def test_sign_up_refuses_short_and_overlong_passwords(client):
    assert "au moins 8 caractères" in _sign_up(client, password="court", password_confirm="court").get_data(as_text=True)
    long_password = "x" * 129
    page = _sign_up(client, password=long_password, password_confirm=long_password).get_data(as_text=True)
    assert "128" in page


def test_sign_up_refuses_taken_email_and_pseudonym(app, client):
    make_user(app, email="alice@example.org", pseudonym="Bob")
    assert "déjà" in _sign_up(client).get_data(as_text=True)
    page = _sign_up(client, email="autre@example.org", pseudonym="bob").get_data(as_text=True)
    assert "Ce pseudonyme est déjà pris" in page


def test_login_with_wrong_password_says_so_without_revealing_account(app, client):
    user = make_user(app)
    wrong = client.post("/connexion", data={"email": user.email, "password": "mauvais mot de passe"})
    unknown = client.post("/connexion", data={"email": "personne@nulle.part", "password": "mauvais mot de passe"})
    assert wrong.status_code == unknown.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect" in wrong.get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect" in unknown.get_data(as_text=True)


def _session_cookie(client) -> str:
    cookie = client.get_cookie("civicsante_session")
    assert cookie is not None
    return cookie.value


def test_login_renews_the_session_cookie(app, client):
    user = make_user(app)
    client.get("/connexion")
    client.post("/langue", data={"lang": "fr", "next": "/"})
    before = _session_cookie(client)
    log_in(client, user.email)
    assert _session_cookie(client) != before


def test_the_session_cookie_lasts_as_long_as_its_row_and_is_not_sent_again_on_each_page(app, client):
    user = make_user(app)
    login = log_in(client, user.email)
    cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("civicsante_session="))
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    with app.app_context():
        row = db.session.execute(select(UserSession)).scalar_one()
    # Both expire 14 days after the login.
    assert abs(parsedate_to_datetime(expires) - row.expires_at) < timedelta(seconds=2)
    assert client.get("/compte").status_code == 200  # its forms' CSRF token goes into the session
    for path in ("/compte", "/besoins", "/consultations", "/"):
        page = client.get(path)
        assert page.status_code == 200
        assert not [c for c in page.headers.getlist("Set-Cookie") if c.startswith("civicsante_session=")]


def test_logout_really_ends_the_session_and_a_replayed_cookie_is_refused(app, client):
    user = make_user(app)
    log_in(client, user.email)
    stolen = _session_cookie(client)
    assert client.get("/compte").status_code == 200
    client.post("/deconnexion")
    assert client.get("/compte").status_code == 302
    # An attacker who copied the cookie before logout replays it:
    attacker = app.test_client()
    attacker.set_cookie("civicsante_session", stolen, domain="localhost")
    response = attacker.get("/compte")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    with app.app_context():
        assert db.session.execute(select(UserSession)).first() is None


def _reset_link(mailbox, email) -> str:
    body = mailbox.body(mailbox.wait_for(email))
    return re.search(r"https?://\S+/mot-de-passe/nouveau/\S+", body).group(0)


def test_password_reset_link_works_once(app, client, mailbox):
    user = make_user(app)
    response = client.post("/mot-de-passe-oublie", data={"email": user.email})
    assert response.status_code == 303
    link = _reset_link(mailbox, user.email)
    path = link.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    new = "une nouvelle phrase secrète"
    assert client.post(path, data={"password": new, "password_confirm": new}).status_code == 303
    log_in(client, user.email, new)
    client.post("/deconnexion")
    # Second use of the same link: refused.
    again = client.get(path)
    assert again.status_code == 400
    assert "déjà été utilisé" in again.get_data(as_text=True)


def test_password_reset_link_expires(app, client, mailbox, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    app.config["PASSWORD_RESET_MAX_AGE"] = 1
    user = make_user(app)
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    path = _reset_link(mailbox, user.email).split("localhost", 1)[1]
    # Two seconds later, on the signer's clock (rather than waiting for them).
    later = int(time.time()) + 2
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = client.get(path)
    assert response.status_code == 400
    assert "expiré" in response.get_data(as_text=True)


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, mailbox):
    response = client.post("/mot-de-passe-oublie", data={"email": "inconnu@example.org"}, follow_redirects=True)
    assert "Si un compte utilise cette adresse" in response.get_data(as_text=True)
    time.sleep(0.3)
    assert mailbox.messages == []


def test_password_reset_ends_other_sessions(app, client, mailbox):
    user = make_user(app)
    other_device = app.test_client()
    log_in(other_device, user.email)
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    path = _reset_link(mailbox, user.email).split("localhost", 1)[1]
    client.post(path, data={"password": "encore une autre phrase", "password_confirm": "encore une autre phrase"})
    assert other_device.get("/compte").status_code == 302


def test_an_expired_session_is_refused_and_cleared_at_next_login(app, client):
    from datetime import timedelta

    from civicsante.types import utcnow

    user = make_user(app)
    log_in(client, user.email)
    with app.app_context():
        db.session.execute(db.update(UserSession).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert client.get("/compte").status_code == 302
    log_in(client, user.email)
    with app.app_context():
        rows = db.session.execute(select(UserSession)).scalars().all()
        assert len(rows) == 1 and rows[0].expires_at > utcnow()
