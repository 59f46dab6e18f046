"""The marks of a consultation indexed in the order of its ballots instead of by priority and
value: the index ``ix_ballot_mark_ballots`` (consultation, ballot, priority, value) replaces
``ix_ballot_mark_tally`` (consultation, priority, value)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 02:20:00

Why: a ballot's ten marks went to ten places of the old index (one per priority and value),
so every ballot rewrote ten of its pages — on SQLite, 40 KB more in the write-ahead log, and as
much again at the checkpoint. In the new one they sit side by side, on one page. Neither
database's planner used the old index for the tallies (SQLite goes from the consultation's
ballots to their marks by the primary key; PostgreSQL hashes both tables), while the recount
(``anonymised_ballots``: a consultation's marks in ballot order) read every consultation's
marks through the table. The new index serves the recount, the count of a consultation's marked
ballots and the cascade when a consultation is deleted, and covers the tallies' columns.
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_ballot_mark_ballots', 'ballot_mark', ['consultation_id', 'ballot_id', 'priority_id', 'value'])
    op.drop_index('ix_ballot_mark_tally', table_name='ballot_mark')


def downgrade():
    op.create_index('ix_ballot_mark_tally', 'ballot_mark', ['consultation_id', 'priority_id', 'value'])
    op.drop_index('ix_ballot_mark_ballots', table_name='ballot_mark')
