"""Anonymous forms are rate-limited with a French 429 page; errors never show a stack trace."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute",
            "RATELIMIT_SIGNUP": "2 per minute", "RATELIMIT_PASSWORD_RESET": "2 per minute",
            "RATELIMIT_ANONYMOUS_POST": "2 per minute"}


@pytest.mark.parametrize("path,limit,data", [
    ("/connexion", 3, {"email": "a@example.org", "password": "mauvais mot de passe"}),
    ("/inscription", 2, {"email": "x"}),
    ("/mot-de-passe-oublie", 2, {"email": "x"}),
    ("/langue", 2, {"lang": "fr", "next": "/"}),
])
def test_anonymous_form_posts_are_rate_limited(client, path, limit, data):
    for _ in range(limit):
        assert client.post(path, data=data).status_code in (303, 422)
    response = client.post(path, data=data)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Trop de tentatives" in page
    assert 'lang="fr"' in page
    # Reading the page is not limited: only attempts are.
    assert client.get(path).status_code in (200, 405)


def test_error_pages_are_french_and_hide_internals(app, client):
    @app.get("/boom-test")
    def boom():
        raise RuntimeError("secret internal detail")

    app.testing = False  # as in production: the error handler answers, not the debugger
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-test")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "secret internal detail" not in page and "Traceback" not in page
    assert "Une erreur" in page or "erreur" in page.lower()
    not_found = client.get("/pas-de-page-ici")
    assert not_found.status_code == 404 and "Page introuvable" in not_found.get_data(as_text=True)


def test_refusals_are_explained_in_french(app, client, world, login_as):
    login_as("resident")
    forbidden = client.get("/admin/")
    assert forbidden.status_code == 403 and "Accès refusé" in forbidden.get_data(as_text=True)
    not_allowed = client.delete("/")
    assert not_allowed.status_code == 405 and 'lang="fr"' in not_allowed.get_data(as_text=True)
    bad_link = client.get("/mot-de-passe/nouveau/abc")
    assert bad_link.status_code == 400 and "Demandez-en un nouveau" in bad_link.get_data(as_text=True)


def test_no_hsts_over_plain_http(app):
    response = app.test_client().get("/", base_url="http://localhost")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
