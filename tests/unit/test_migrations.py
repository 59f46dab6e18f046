"""Migrations: upgrade → downgrade → upgrade on the suite's database kind, and the models match."""
from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from civicsante import create_app
from civicsante.db import include_name
from civicsante.extensions import db


@pytest.fixture
def scratch_url(tmp_path):
    """A database of the same kind as the suite's, used only by this test."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    import psycopg

    admin_url = url.replace("postgresql+psycopg://", "postgresql://")
    name = f"civicsante_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(engine) -> set[str]:
    """The tables the models describe (the full-text index's tables are not among them)."""
    return {name for name in inspect(engine).get_table_names()
            if name != "alembic_version" and include_name(name, "table", {})}


def _search_index_objects(engine) -> set[str]:
    """The full-text search objects of migration 0003 present in the database."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE name LIKE 'need_fts%'")).all()
        else:
            rows = conn.execute(text(
                "SELECT indexname FROM pg_indexes WHERE indexname = 'ix_need_search_text_trgm'")).all()
    return {r[0] for r in rows}


SEARCH_INDEX_OBJECTS = {
    "sqlite": {"need_fts", "need_fts_data", "need_fts_idx", "need_fts_docsize", "need_fts_config",
               "need_fts_after_insert", "need_fts_after_update", "need_fts_after_delete"},
    "postgresql": {"ix_need_search_text_trgm"},
}


def _audit_is_append_only(engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
        else:
            rows = conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
            )).all()
    return any("audit_log" in r[0] for r in rows)


def test_upgrade_downgrade_upgrade_and_models_match(scratch_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url})
    expected = {t.name for t in db.metadata.sorted_tables}
    with app.app_context():
        upgrade()
        assert _tables(db.engine) == expected
        assert _audit_is_append_only(db.engine)
        search_objects = SEARCH_INDEX_OBJECTS[db.engine.dialect.name]
        assert _search_index_objects(db.engine) == search_objects

        downgrade(revision="0002")
        assert _search_index_objects(db.engine) == set()

        downgrade(revision="base")
        assert _tables(db.engine) == set()
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        upgrade()
        assert _tables(db.engine) == expected
        assert _audit_is_append_only(db.engine)
        assert _search_index_objects(db.engine) == search_objects

        with db.engine.connect() as conn:
            # The same filter as migrations/env.py: the search indexes are not in the models.
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
        db.engine.dispose()
