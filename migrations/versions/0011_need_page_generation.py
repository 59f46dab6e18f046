"""Data generation of the need pages: a row whose value the database changes with every write to
a need, its category, the territories, its comments or its status history, and with every change
of an account's public name, so that each worker may keep what a need's page shows to everyone

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:30:00

The same triggers as migration 0009 (civicsante/cache.py explains the rule), for one more
generation. The accounts are covered only where the page shows them: an update of ``pseudonym``
or ``deleted_at`` (``User.public_name``), or a deletion; logging in, changing a password or a
role, which write the same table, keep the kept pages.
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# Frozen here as the migration made them (civicsante.cache.GENERATION_TABLES may grow later).
GENERATION = 'need_pages'
TABLES = ('need', 'need_category', 'territory', 'need_comment', 'need_status_change')
# user_account: only these columns' updates, and deletions.
ACCOUNT_COLUMNS = 'pseudonym, deleted_at'
SQLITE_WRITES = {'ai': 'INSERT', 'au': 'UPDATE', 'ad': 'DELETE'}
BUMP_SQLITE = f"""INSERT INTO data_generation (name, value) VALUES ('{GENERATION}', random())
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value;"""


def _postgres_trigger(table: str, events: str) -> None:
    op.execute(f"""CREATE CONSTRAINT TRIGGER data_generation_{GENERATION}_{table}
        AFTER {events} ON {table} DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION data_generation_bump('{GENERATION}')""")
    op.execute(f"""CREATE TRIGGER data_generation_{GENERATION}_{table}_truncate
        AFTER TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump_now('{GENERATION}')""")


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        for table in TABLES:
            _postgres_trigger(table, 'INSERT OR UPDATE OR DELETE')
        _postgres_trigger('user_account', f'UPDATE OF {ACCOUNT_COLUMNS} OR DELETE')
    else:
        for table in TABLES:
            for suffix, write in SQLITE_WRITES.items():
                op.execute(f"""CREATE TRIGGER data_generation_{GENERATION}_{table}_{suffix}
                    AFTER {write} ON {table} BEGIN {BUMP_SQLITE} END""")
        for suffix, write in (('au', f'UPDATE OF {ACCOUNT_COLUMNS}'), ('ad', 'DELETE')):
            op.execute(f"""CREATE TRIGGER data_generation_{GENERATION}_user_account_{suffix}
                AFTER {write} ON user_account BEGIN {BUMP_SQLITE} END""")
    value = "nextval('data_generation_value')" if postgres else 'random()'
    op.execute(f"INSERT INTO data_generation (name, value) VALUES ('{GENERATION}', {value})")


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table in (*TABLES, 'user_account'):
        if postgres:
            op.execute(f'DROP TRIGGER data_generation_{GENERATION}_{table} ON {table}')
            op.execute(f'DROP TRIGGER data_generation_{GENERATION}_{table}_truncate ON {table}')
        else:
            suffixes = SQLITE_WRITES if table != 'user_account' else ('au', 'ad')
            for suffix in suffixes:
                op.execute(f'DROP TRIGGER data_generation_{GENERATION}_{table}_{suffix}')
    op.execute(f"DELETE FROM data_generation WHERE name = '{GENERATION}'")
