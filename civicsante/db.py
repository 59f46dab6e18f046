"""Database engine set-up shared by every area.

SQLite (the embedded default) gets, on each connection: WAL, ``synchronous=FULL``, foreign keys,
a busy timeout — and transactions opened by SQLAlchemy rather than by Python's sqlite3 module, so
that a transaction that will write starts with ``BEGIN IMMEDIATE``. A deferred ``BEGIN`` that
later writes must upgrade its lock, and in WAL mode that upgrade fails at once with
``database is locked`` when another connection committed in between, whatever the busy timeout.
Read-only HTTP requests (GET/HEAD/OPTIONS) keep a deferred ``BEGIN`` so readers never queue
behind writers; code that writes during such a request wraps the work in ``write_intent()``
before its first query. A write view whose reads come first (``reads_first``: the ballot
submission) also starts deferred, and its service calls ``take_write_lock`` once everything is
read and checked, so the write lock is held only for its few inserts.
"""
from __future__ import annotations

import contextvars
import time
from contextlib import contextmanager

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

_read_only = contextvars.ContextVar("civicsante_read_only_transaction", default=False)


def mark_read_only(value: bool) -> contextvars.Token:
    return _read_only.set(value)


def reset_read_only(token: contextvars.Token) -> None:
    _read_only.reset(token)


@contextmanager
def write_intent():
    """Open the next transactions in this context with BEGIN IMMEDIATE (SQLite)."""
    token = _read_only.set(False)
    try:
        yield
    finally:
        _read_only.reset(token)


@contextmanager
def read_only():
    """Open the next transactions in this context with a deferred BEGIN (SQLite): for long reads
    outside a request, such as verifying the audit chain, that must not hold the write lock."""
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        deferred = _read_only.get()
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
        connection.info[_DEFERRED] = deferred
        connection.info[_CHANGES_AT_BEGIN] = connection.connection.driver_connection.total_changes


def configure_postgres(engine: Engine, ping_after_idle: float) -> None:
    """Check a pooled connection as it is taken only when it idled in the pool for
    ``ping_after_idle`` seconds or more (DB_PING_AFTER_IDLE in civicsante/config.py): SQLAlchemy's
    own check (``dialect.do_ping``); when the server does not answer, ``DisconnectionError`` has
    the pool drop that connection and take or open another (three tries)."""
    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_it_idled(dbapi_connection, record, _proxy):
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < ping_after_idle:
            return  # just opened, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"the connection idled and no longer answers: {error}") from error
        if not alive:
            raise exc.DisconnectionError("the connection idled and no longer answers")


_IDLE_SINCE = "civicsante.idle_since"
# Per pooled SQLite connection: whether its transaction began deferred, and the driver's count of
# rows changed so far on the connection when it began (to tell that the transaction wrote nothing).
_DEFERRED = "civicsante.deferred"
_CHANGES_AT_BEGIN = "civicsante.changes_at_begin"


def take_write_lock(session) -> None:
    """Hold the write lock from now to the end of ``session``'s transaction.

    On SQLite, a transaction that began deferred (a ``reads_first`` view) cannot simply go on to
    write: upgrading its read snapshot fails at once when another connection committed since it
    began. So its reads end here (COMMIT of a transaction that wrote nothing) and a
    ``BEGIN IMMEDIATE`` on the same connection takes the lock, waiting for it like any writer.
    What was read before is from the earlier snapshot: a write that depends on it must hold by a
    constraint or a condition in the write itself (the ballot: the participation primary key, and
    the vote dates in the INSERT … SELECT of that row).
    A no-op on PostgreSQL and in a transaction that already holds the lock."""
    connection = session.connection()
    if not is_sqlite(connection.engine) or not connection.info.get(_DEFERRED):
        return
    if connection.connection.driver_connection.total_changes != connection.info[_CHANGES_AT_BEGIN]:
        raise RuntimeError("take_write_lock: this deferred transaction has already written; "
                           "committing its reads would commit that write early.")
    connection.exec_driver_sql("COMMIT")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.info[_DEFERRED] = False


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def writes_on_read(view):
    """Mark a view that writes during a GET (e.g. an audit row for reading a complaint), so its
    transaction starts with BEGIN IMMEDIATE on SQLite."""
    view.writes_on_read = True
    return view


def reads_first(view):
    """Mark a POST view that reads and checks everything before it writes, so its transaction
    starts with a deferred BEGIN on SQLite (readers and other such requests do not queue behind
    it); its service calls ``take_write_lock`` just before the writes."""
    view.reads_first = True
    return view


# Objects the migrations create that the models do not describe: the full-text search indexes of
# needs (migration 0003) — SQLite's FTS5 table ``need_fts`` with its shadow tables ``need_fts_*``,
# PostgreSQL's trigram GIN index — and SQLite's index of the needs' text by territory
# (migration 0008). Alembic autogenerate and the models-match test skip them.
DATABASE_ONLY_TABLES = frozenset({"need_fts"})
DATABASE_ONLY_INDEXES = frozenset({"ix_need_search_text_trgm", "ix_need_similar"})


def analyze(connection) -> None:
    """Refresh the planner's statistics (ANALYZE) of every table but the full-text index's.

    On SQLite the FTS5 shadow tables (``need_fts_*``) are left out, and any statistics they had
    are removed: with them — "2 rows" in ``need_fts_data`` once analysed nearly empty — FTS5's own
    statements during an insert pick worse plans, and adding 8,000 needs took 17 s instead of 4."""
    if connection.dialect.name != "sqlite":
        connection.exec_driver_sql("ANALYZE")
        return
    tables = [name for (name,) in connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        if include_name(name, "table", {})]
    for name in tables:
        connection.exec_driver_sql(f'ANALYZE "{name}"')
    if connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        for table in DATABASE_ONLY_TABLES:
            connection.exec_driver_sql(f"DELETE FROM sqlite_stat1 WHERE tbl = '{table}' OR tbl LIKE '{table}_%'")


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: False for the database-only objects above."""
    if type_ == "table" and name is not None:
        return not any(name == t or name.startswith(f"{t}_") for t in DATABASE_ONLY_TABLES)
    if type_ == "index":
        return name not in DATABASE_ONLY_INDEXES
    return True
