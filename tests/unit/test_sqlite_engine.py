"""SQLite connections get the pragmas we rely on, and concurrent writers queue instead of failing."""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import text

from civicsante import create_app
from civicsante.db import read_only
from civicsante.extensions import db

pytestmark = pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="SQLite-specific")


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'engine.sqlite3'}"})
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_each_connection_has_wal_full_sync_foreign_keys_and_busy_timeout(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_transactions_begin_immediate_unless_read_only(sqlite_app):
    statements = []
    with sqlite_app.app_context():
        from sqlalchemy import event

        @event.listens_for(db.engine, "before_cursor_execute")
        def _spy(conn, cursor, statement, *args):
            statements.append(statement)

        with db.engine.begin() as conn:
            conn.execute(text("SELECT 1"))
        with read_only(), db.engine.begin() as conn:
            conn.execute(text("SELECT 1"))
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert statements.count("BEGIN") == 1


def test_read_then_write_under_concurrency_never_fails_with_database_locked(sqlite_app):
    """Each thread reads the counter then writes it back +1: the classic lock-upgrade failure
    of a deferred BEGIN. With BEGIN IMMEDIATE every increment lands, none errors."""
    errors = []

    def worker():
        with sqlite_app.app_context():
            for _ in range(25):
                try:
                    with db.engine.begin() as conn:
                        n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                        conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
                except Exception as exc:  # noqa: BLE001 — the test reports any failure
                    errors.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite_app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 200
