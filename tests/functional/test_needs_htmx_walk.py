"""Every route of the needs and notifications areas answers an htmx request as it answers a plain
one (issue 3: "every route with and without HX-Request").

The walk of test_route_matrix sends plain requests; this one sends the same requests, in the same
order and on fresh objects, as htmx does: a boosted link or form (HX-Request + HX-Boosted, which
swaps the whole body, so it must get the whole page) and an hx-get / hx-post (HX-Request alone).
"""
from __future__ import annotations

import pytest
from flask import url_for

from tests.conftest import _user_for_role
from tests.functional import routes_needs, routes_notifications
from tests.functional.routes import expected_status, params_for
from tests.functional.test_route_matrix import _signed_in_client, all_rules, make_walk_context

AREA_ENDPOINTS = set(routes_needs.EXPECTED) | set(routes_notifications.EXPECTED)
HEADERS = {
    "boosted": {"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "https://localhost/besoins"},
    "htmx": {"HX-Request": "true", "HX-Current-URL": "https://localhost/besoins"},
}

# Where an hx-post answers a fragment instead of redirecting: the support box swaps in place.
HTMX_PARTIALS = {("needs.support", "POST"), ("needs.withdraw_support", "POST")}


@pytest.mark.parametrize("kind", sorted(HEADERS))
@pytest.mark.parametrize("role", ["anonymous", "resident", "facilitator"])
def test_needs_routes_answer_htmx_like_plain_requests(app, world, role, kind):
    ctx = make_walk_context(app, world)
    actor = None if role == "anonymous" else _user_for_role(app, world, role)
    mismatches = []
    for endpoint, method, _rule in all_rules(app):
        if (endpoint, method) not in AREA_ENDPOINTS:
            continue
        client = _signed_in_client(app, actor)
        with app.test_request_context():
            url = url_for(endpoint, **params_for(endpoint, ctx))
        response = client.open(url, method=method, headers=HEADERS[kind])
        expected = expected_status(endpoint, method, role)
        if kind == "htmx" and (endpoint, method) in HTMX_PARTIALS and expected == 303:
            expected = 200
            assert "<html" not in response.get_data(as_text=True), f"{url} should answer the fragment"
        if response.status_code != expected:
            mismatches.append(f"{method} {url}: got {response.status_code}, expected {expected}")
        assert "HX-Request" in response.headers.get("Vary", ""), url
        body = response.get_data(as_text=True)
        if kind == "boosted" and response.status_code in (200, 403, 422) and response.mimetype == "text/html":
            # A boosted navigation replaces the whole body: it needs the whole page, layout included.
            assert "<html" in body and 'id="contenu"' in body, f"{method} {url} answered a fragment"
    assert not mismatches, f"as {role} ({kind}):\n" + "\n".join(mismatches)
