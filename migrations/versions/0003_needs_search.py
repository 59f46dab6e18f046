"""Full-text search of needs: SQLite FTS5 trigram index, PostgreSQL pg_trgm GIN index

Both index ``need.search_text``, the lower-case unaccented title + description kept by the
services (civicsante/text.py), so searches are case- and accent-insensitive on both databases
(SQLite 3.40's trigram tokenizer folds case but not accents).

SQLite: ``need_fts`` is an external-content FTS5 table over ``need`` (it stores only the index,
the text stays in ``need``), kept in sync by three triggers on ``need``. Caution for later
revisions: a ``batch_alter_table('need')`` on SQLite copies and drops ``need``, which drops these
triggers; such a revision must create them again (TRIGGERS below) and rebuild the index.

PostgreSQL: a trigram GIN index that serves ``search_text ILIKE '%word%'`` and ``similarity()``.

Neither object is in the models: migrations/env.py (``civicsante.db.include_name``) keeps them
out of autogenerate.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE need_fts USING fts5("
    "search_text, content='need', content_rowid='id', tokenize='trigram')"
)
# An external-content index must be told the old text to remove a row ('delete' command).
TRIGGERS = (
    ("CREATE TRIGGER need_fts_after_insert AFTER INSERT ON need BEGIN "
     "INSERT INTO need_fts(rowid, search_text) VALUES (new.id, new.search_text); END"),
    ("CREATE TRIGGER need_fts_after_update AFTER UPDATE OF search_text ON need BEGIN "
     "INSERT INTO need_fts(need_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
     "INSERT INTO need_fts(rowid, search_text) VALUES (new.id, new.search_text); END"),
    ("CREATE TRIGGER need_fts_after_delete AFTER DELETE ON need BEGIN "
     "INSERT INTO need_fts(need_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END"),
)
DROP_TRIGGERS = (
    "DROP TRIGGER IF EXISTS need_fts_after_delete",
    "DROP TRIGGER IF EXISTS need_fts_after_update",
    "DROP TRIGGER IF EXISTS need_fts_after_insert",
)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(SQLITE_FTS)
        for statement in TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO need_fts(need_fts) VALUES ('rebuild')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_need_search_text_trgm ON need USING gin (search_text gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in DROP_TRIGGERS:
            op.execute(statement)
        op.execute("DROP TABLE IF EXISTS need_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_need_search_text_trgm")
        # Leave the extension in place when something else in the database still uses it.
        op.execute(
            "DO $$ BEGIN DROP EXTENSION IF EXISTS pg_trgm; "
            "EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$"
        )
