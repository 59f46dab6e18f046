"""8 processes support the same need 1,000 times in total, from 1,000 accounts (each one clicks
twice): exactly 1,000 supports, and no error reaches anyone. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

from civicsante.extensions import db
from civicsante.needs.models import Need, Support
from tests.support.factories import make_need
from tests.support.sessions import accounts_with_sessions, signed_in_client

PROCESSES = 8
ACCOUNTS = 1000


def _support_as(args) -> list[int]:
    """One process: its own app and connections, like a server worker; every account POSTs twice."""
    database_url, need_id, keys = args
    from flask import url_for

    from civicsante import create_app

    # 8 writers on one SQLite file queue for its write lock; on a loaded machine (the PostgreSQL
    # pass runs beside this one) a turn can exceed the default 5 s wait. The rule under test is
    # "exactly once, no error", not the wait, so the workers wait longer.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SQLITE_BUSY_TIMEOUT_MS": 30000})
    with app.test_request_context():
        url = url_for("needs.support", need_id=need_id)
    statuses = []
    for key in keys:
        client = signed_in_client(app, key)
        for _ in range(2):
            statuses.append(client.post(url, base_url="https://localhost").status_code)
    with app.app_context():
        db.engine.dispose()
    return statuses


def test_concurrent_supports_count_exactly_once_per_person(app, world, heavy_test_slot):
    need = make_need(app, territory_id=world.commune.id)
    keys = accounts_with_sessions(app, ACCOUNTS)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    chunks = [keys[i::PROCESSES] for i in range(PROCESSES)]
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.map(_support_as, [(url, need.id, chunk) for chunk in chunks])
    statuses = [s for chunk in results for s in chunk]
    assert len(statuses) == 2 * ACCOUNTS
    assert set(statuses) <= {303}, {s: statuses.count(s) for s in set(statuses)}
    with app.app_context():
        rows = db.session.execute(select(func.count()).select_from(Support)
                                  .where(Support.need_id == need.id)).scalar_one()
        counter = db.session.get(Need, need.id).supports_count
    assert rows == ACCOUNTS
    assert counter == ACCOUNTS
