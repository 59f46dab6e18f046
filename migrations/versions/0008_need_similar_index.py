"""Similar needs on SQLite: an index holding each need's searchable text by territory; planner
statistics (ANALYZE)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:20:00

While a title is typed, similar needs are looked for in the territory's parent subtree (a few
thousand needs in a département). With this index SQLite reads them and their text from the index
pages, in territory order, instead of visiting each row of the table: 31 ms → 7.6 ms for 5,300
needs in the benchmark's dataset (tests/bench). PostgreSQL needs none: its trigram GIN index
(migration 0003) serves the same search, and a B-tree entry there is limited to about 2.7 kB of
text.

ANALYZE gives SQLite's planner the statistics without which it prefers the index on ``hidden``
(every visible need) to the territory's index: the needs list's page count went from 10.5 ms to
1.6 ms with them. ``flask --app civicsante db-analyze`` refreshes them later. Neither analyses
the full-text index's shadow tables (``civicsante.db.analyze``: statistics there slow FTS5's inserts
down 4×).
"""
from alembic import op

from civicsante.db import analyze


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # A plain CREATE INDEX (not a batch table copy, which on SQLite would drop the FTS triggers).
        op.create_index('ix_need_similar', 'need',
                        ['territory_id', 'hidden', 'status', 'supports_count', 'search_text'])
    analyze(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index('ix_need_similar', table_name='need')
