"""PostgreSQL's pooled connections are checked only when they idled (civicsante.db.configure_postgres):
a server restarted while the site was quiet costs no failed request, and a busy site pays no
round trip per request for it."""
from __future__ import annotations

import time

import psycopg
import pytest

from civicsante.extensions import db

IDLE = 0.3  # seconds


@pytest.fixture
def app_config():
    return {"DB_PING_AFTER_IDLE": IDLE}


@pytest.fixture
def pings(app, monkeypatch):
    with app.app_context():
        dialect = db.engine.dialect
    if dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to lose")
    counted = []
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection):
        counted.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    return counted


def _cut_the_pooled_connection(app) -> None:
    """What a server restart does to the pool: its connection (one, after a single-request use)
    is ended by the server."""
    with app.app_context():
        assert db.engine.pool.checkedin() == 1
        with db.engine.connect() as conn:  # the pooled connection, taken and given back at once
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] is True


def test_a_busy_pool_pays_no_check_and_an_idle_one_is_checked(app, client, world, pings):
    for _ in range(5):
        assert client.get("/besoins").status_code == 200
    assert pings == []  # each request took the connection the previous one had just given back
    time.sleep(IDLE + 0.1)
    assert client.get("/besoins").status_code == 200
    assert pings == [1]


def test_a_server_restarted_while_the_site_was_quiet_costs_no_failed_request(app, client, world, pings):
    assert client.get("/besoins").status_code == 200
    with app.app_context():
        db.engine.pool.dispose()  # the fixtures' connections: the pool holds only the request's
    assert client.get("/besoins").status_code == 200
    _cut_the_pooled_connection(app)
    time.sleep(IDLE + 0.1)
    page = client.get("/besoins")
    assert page.status_code == 200 and "besoin" in page.get_data(as_text=True)
    assert pings == [1]  # the cut connection was found out, and another one opened
