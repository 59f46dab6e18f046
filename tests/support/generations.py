"""Checking a data generation (civicsante/cache.py) from a test."""
from __future__ import annotations

from sqlalchemy import text

from civicsante.cache import generation
from civicsante.db import read_only
from civicsante.extensions import db


def update_elsewhere_and_check_the_generation_moves_at_commit(app, name: str, table: str, column: str) -> int:
    """Update every row of ``table`` on a connection of its own: until that connection commits,
    the generation ``name`` keeps its value (for this session too); once it commits, it has a
    new one. Answers the value from before (for further checks)."""
    with app.app_context():
        before = generation(name)
        assert before is not None
        db.session.rollback()
        with db.engine.connect() as writer:
            writer.execute(text(f"UPDATE {table} SET {column} = {column} || '.'"))
            # Another connection sees the old value until the commit...
            with read_only():  # (a reader on SQLite: the writer holds the write lock)
                assert generation(name) == before
            db.session.rollback()
            writer.commit()
        db.session.rollback()
        assert generation(name) != before  # ...and the new one once it is committed
        db.session.rollback()
    return before
