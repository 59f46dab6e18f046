"""Data generation of the consultations: a row whose value the database changes with every write
to a consultation, its priorities or the territories, so that each worker may keep what casting a
ballot needs to know of a consultation (its method, dates, territory and candidates)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:40:00

The same triggers as migration 0009 (civicsante/cache.py explains the rule), for one more
generation; the PostgreSQL functions and sequence of 0009 serve it unchanged.
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Frozen here as the migration made them (civicsante.cache.GENERATION_TABLES may grow later).
GENERATIONS = {'consultations': ('consultation', 'priority', 'territory')}
WRITES = {'ai': 'INSERT', 'au': 'UPDATE', 'ad': 'DELETE'}


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for generation, tables in GENERATIONS.items():
        for table in tables:
            if postgres:
                op.execute(f"""CREATE CONSTRAINT TRIGGER data_generation_{generation}_{table}
                    AFTER INSERT OR UPDATE OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION data_generation_bump('{generation}')""")
                op.execute(f"""CREATE TRIGGER data_generation_{generation}_{table}_truncate
                    AFTER TRUNCATE ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump_now('{generation}')""")
                continue
            for suffix, write in WRITES.items():
                op.execute(f"""CREATE TRIGGER data_generation_{generation}_{table}_{suffix}
                    AFTER {write} ON {table} BEGIN
                      INSERT INTO data_generation (name, value) VALUES ('{generation}', random())
                        ON CONFLICT (name) DO UPDATE SET value = excluded.value;
                    END""")
        value = "nextval('data_generation_value')" if postgres else 'random()'
        op.execute(f"INSERT INTO data_generation (name, value) VALUES ('{generation}', {value})")


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for generation, tables in GENERATIONS.items():
        for table in tables:
            if postgres:
                op.execute(f'DROP TRIGGER data_generation_{generation}_{table} ON {table}')
                op.execute(f'DROP TRIGGER data_generation_{generation}_{table}_truncate ON {table}')
            else:
                for suffix in WRITES:
                    op.execute(f'DROP TRIGGER data_generation_{generation}_{table}_{suffix}')
        op.execute(f"DELETE FROM data_generation WHERE name = '{generation}'")
