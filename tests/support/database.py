"""Which database the suite runs on, and how to reset it between tests.

``TEST_DATABASE_URL`` selects PostgreSQL (``make test`` sets it for the second pass); otherwise a
SQLite file in a temporary folder. The schema is built once per run by the real Alembic
migrations; each test starts from empty tables.
"""
from __future__ import annotations

import contextlib
import os

from sqlalchemy import text

from civicsante.audit import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL
from civicsante.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def reset_postgres_schema(url: str) -> None:
    import psycopg
    import psycopg.sql

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
        # A throwaway database need not wait for its WAL flush at each commit (new sessions
        # only; see tests/support/speed.py). Left as it is when we may not change it.
        name = conn.execute("SELECT current_database()").fetchone()[0]
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute(psycopg.sql.SQL("ALTER DATABASE {} SET synchronous_commit = off")
                         .format(psycopg.sql.Identifier(name)))


# Reference rows the migrations seed: kept between tests, as in a real database.
SEEDED_TABLES = frozenset({"need_category", "complaint_category"})


def empty_all_tables() -> None:
    """Delete every row but the seeded ones (the audit log's append-only triggers are lifted
    for the purpose); the instance types, which tests may edit, are seeded again."""
    engine = db.engine
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in SEEDED_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _empty_postgres(conn, tables)
        else:
            _empty_sqlite(conn, tables)
    reseed_instance_types()


def _empty_postgres(conn, tables) -> None:
    """DELETE from every table with triggers off (``session_replication_role = replica`` skips
    the foreign-key and append-only triggers), then restart the id sequences. A TRUNCATE of ~50
    tables rewrites ~50 files and cost a third of the PostgreSQL pass; deleting the few rows a
    test leaves costs almost nothing. Without the right to change the role, TRUNCATE as before."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except Exception:  # noqa: BLE001 - not a superuser: the slower, always-allowed way
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    names = ", ".join(f"'{name}'" for name in tables)
    conn.exec_driver_sql(f"""
        DO $$
        DECLARE t text;
        BEGIN
          FOREACH t IN ARRAY ARRAY[{names}] LOOP
            EXECUTE 'DELETE FROM ' || quote_ident(t);
            PERFORM setval(pg_get_serial_sequence(quote_ident(t), c.column_name), 1, false)
              FROM information_schema.columns c
             WHERE c.table_schema = 'public' AND c.table_name = t
               AND pg_get_serial_sequence(quote_ident(t), c.column_name) IS NOT NULL;
          END LOOP;
        END $$""")
    conn.exec_driver_sql("SET LOCAL session_replication_role = origin")


def _empty_sqlite(conn, tables) -> None:
    for statement in DROP_APPEND_ONLY_DDL["sqlite"]:
        conn.exec_driver_sql(statement)
    for name in tables:
        conn.exec_driver_sql(f"DELETE FROM {name}")
    for statement in APPEND_ONLY_DDL["sqlite"]:
        conn.exec_driver_sql(statement)


def reseed_instance_types() -> None:
    """Put back the instance types migration 0006 seeds, with their default rules (a test may
    have edited a term length), as a fresh database has them."""
    from civicsante.mandates.models import DEFAULT_INSTANCE_TYPES, InstanceType

    rows = [dict(code=code, name=name, designating_authority=authority, term_months=months,
                 renewal_cap=cap, hours_per_month=hours, role_description=role, training_offered=training)
            for code, (name, authority, months, cap, hours, role, training) in DEFAULT_INSTANCE_TYPES.items()]
    with db.engine.begin() as conn:
        conn.execute(InstanceType.__table__.insert(), rows)
