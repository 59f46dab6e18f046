"""Rate limits can live in Redis, shared by every worker."""
from __future__ import annotations

import socket

import pytest


def _redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
            "RATELIMIT_LOGIN": "2 per minute"}


@pytest.mark.skipif(not _redis_answers(), reason="Redis does not answer on 127.0.0.1:6379")
def test_login_rate_limit_is_shared_through_redis(app):
    # Two separate clients (as two workers would see them) share the counter kept in Redis.
    data = {"email": "a@example.org", "password": "mauvais mot de passe"}
    assert app.test_client().post("/connexion", data=data).status_code == 422
    assert app.test_client().post("/connexion", data=data).status_code == 422
    assert app.test_client().post("/connexion", data=data).status_code == 429
