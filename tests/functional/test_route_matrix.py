"""Every URL rule × every role: the declared status, and the security headers on every response."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from civicsante.accounts.models import RoleAssignment, User
from civicsante.accounts.sessions import start_session
from civicsante.extensions import db
from tests.conftest import _user_for_role
from tests.functional.routes import EXPECTED, ROLES, expected_status, params_for
from tests.support.factories import make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def all_rules(app):
    """(endpoint, method, rule) for every rule, in the declaration order (logout last)."""
    order = list(EXPECTED)
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda x: order.index((x[0], x[1])) if (x[0], x[1]) in order else -1)


def test_every_route_is_declared(app):
    undeclared = [(e, m, r.rule) for e, m, r in all_rules(app) if (e, m) not in EXPECTED]
    assert not undeclared, f"declare these routes in tests/functional/routes.py: {undeclared}"
    stale = set(EXPECTED) - {(e, m) for e, m, _ in all_rules(app)}
    assert not stale, f"declared routes that no longer exist: {stale}"


def make_walk_context(app, world) -> WalkContext:
    """Objects the walk acts on: a person holding a role an admin may revoke, and ``world``."""
    target = make_user(app, pseudonym="Cible", role="facilitator", territory_id=world.commune.id)
    with app.app_context():
        assignment_id = db.session.execute(
            select(RoleAssignment.id).where(RoleAssignment.user_id == target.id)).scalar_one()
    from tests.functional import routes_needs, routes_notifications
    from tests.functional.routes import AREA_PARTS

    extra = {}
    for area in (routes_needs, routes_notifications, *AREA_PARTS):
        extra.update(area.make_objects(app, world, target))
    return WalkContext(target, assignment_id, world, extra)


@dataclass
class WalkContext:
    target_user: User
    target_assignment_id: int
    world: object
    extra: dict


def _signed_in_client(app, user):
    """A client holding a real server-side session for ``user`` (without the slow argon2 login)."""
    client = app.test_client()
    if user is None:
        return client
    with app.app_context():
        fresh = db.session.get(User, user.id)
        key = start_session(fresh, app.permanent_session_lifetime)
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True
        session.permanent = True
    return client


def assert_security_headers(response, endpoint):
    h = response.headers
    assert "default-src 'self'" in h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert "unsafe-inline" not in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Strict-Transport-Security"].startswith("max-age=")  # the client talks https
    assert "HX-Request" in h.get("Vary", "")
    for cookie in h.getlist("Set-Cookie"):
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=lax" in lowered and "secure" in lowered, cookie


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, world, role):
    ctx = make_walk_context(app, world)
    actor = None if role == "anonymous" else _user_for_role(app, world, role)

    mismatches = []
    for endpoint, method, _rule in all_rules(app):
        client = _signed_in_client(app, actor)
        with app.test_request_context():
            from flask import url_for
            url = url_for(endpoint, **params_for(endpoint, ctx))
        response = client.open(url, method=method)
        expected = expected_status(endpoint, method, role)
        if response.status_code != expected:
            mismatches.append(f"{method} {url} ({endpoint}): got {response.status_code}, expected {expected}")
        assert_security_headers(response, endpoint)
        if response.status_code == 302 and expected == 302:
            assert "/connexion" in response.headers["Location"]
    assert not mismatches, f"as {role}:\n" + "\n".join(mismatches)


def test_admin_pages_hide_nothing_from_admins_and_menu_hides_admin_link_from_others(app, world, login_as):
    login_as("resident")
    # The control is hidden for non-admins, and the route refuses them (checked in the matrix).
    page = app.test_client()
    resident = _signed_in_client(app, make_user(app))
    assert 'href="/admin/"' not in resident.get("/").get_data(as_text=True)
    admin = _signed_in_client(app, make_user(app, role="admin"))
    assert 'href="/admin/"' in admin.get("/").get_data(as_text=True)
    assert page.get("/admin/").status_code == 302
