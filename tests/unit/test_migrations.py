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
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


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

        downgrade(revision="base")
        assert _tables(db.engine) == set()

        upgrade()
        assert _tables(db.engine) == expected
        assert _audit_is_append_only(db.engine)

        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
        db.engine.dispose()
