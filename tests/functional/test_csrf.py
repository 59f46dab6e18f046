"""CSRF walk: every unsafe request without a token is refused with 400 and changes nothing."""
from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func, select

from civicsante.extensions import db
from tests.functional.routes import params_for
from tests.functional.test_route_matrix import (
    UNSAFE,
    _signed_in_client,
    all_rules,
    make_walk_context,
)
from tests.support.factories import make_user

# The one-click unsubscribe link of e-mails is POSTed by mail clients without a session nor a
# token (RFC 8058); its signed token is the proof. tests/functional/test_notifications_web.py
# checks it works without a CSRF token and refuses a forged one.
CSRF_EXEMPT = {("notifications.unsubscribe", "POST")}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables
        }


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_unsafe_requests_without_token_are_refused_and_change_nothing(app, world, role):
    ctx = make_walk_context(app, world)
    actor = make_user(app, role="admin") if role == "admin" else None
    client = _signed_in_client(app, actor)
    before = _row_counts(app)

    walked = 0
    for endpoint, method, _rule in all_rules(app):
        if method not in UNSAFE or (endpoint, method) in CSRF_EXEMPT:
            continue
        with app.test_request_context():
            url = url_for(endpoint, **params_for(endpoint, ctx))
        # Plausible form data, so a missing CSRF check would let the action through.
        data = {"email": "x@example.org", "password": "une phrase assez longue", "lang": "en",
                "pseudonym": "Nouveau nom", "role": "admin", "confirm": "y"}
        response = client.open(url, method=method, data=data)
        assert response.status_code == 400, f"{method} {url} answered {response.status_code}"
        assert "formulaire" in response.get_data(as_text=True)  # the French "form expired" page
        walked += 1
        # htmx requests carry the token in a header; without it they are refused just the same.
        response = client.open(url, method=method, data=data, headers={"HX-Request": "true"})
        assert response.status_code == 400
    assert walked >= 10
    assert _row_counts(app) == before


def test_token_in_htmx_header_is_accepted(app):
    """The layout sends the token in an X-CSRFToken header (hx-headers) for htmx requests."""
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    response = client.post("/langue", data={"lang": "en", "next": "/"},
                           headers={"X-CSRFToken": token, "HX-Request": "true",
                                    "Referer": "https://localhost/"})  # checked over https
    assert response.status_code == 303
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
