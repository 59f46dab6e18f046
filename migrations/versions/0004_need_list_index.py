"""Index covering the public needs list's filters and page count

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:54:21.864109

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # A plain CREATE INDEX (not a batch table copy, which on SQLite would drop the FTS triggers).
    op.create_index('ix_need_visible_filters', 'need', ['hidden', 'status', 'category_id', 'territory_id'])



def downgrade():
    op.drop_index('ix_need_visible_filters', table_name='need')

