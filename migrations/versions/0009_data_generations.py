"""Data generations: a row whose value the database changes with every write to the needs, their
categories or the territories, so that each worker may keep the needs list's pages, the similar
needs and the select boxes' choices, and tell with one read that they still hold

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:40:00

civicsante/cache.py explains the rule. SQLite: a row trigger per table and kind of write gives
the row a new ``random()`` value (SQLite writes one transaction at a time). PostgreSQL: a
constraint trigger deferred to the commit gives it the next value of a sequence (never handed out
twice, even after a rollback), once per transaction (a transaction-local setting remembers it is
done), so the row is locked only while the transaction commits; TRUNCATE, which row triggers do
not see, has a statement trigger.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Frozen here as the migration made them (civicsante.cache.GENERATION_TABLES may grow later, with
# a migration of its own).
GENERATIONS = {'needs': ('need', 'need_category', 'territory')}
WRITES = {'ai': 'INSERT', 'au': 'UPDATE', 'ad': 'DELETE'}

PG_FUNCTIONS = [
    """CREATE FUNCTION data_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('civicsante.generation_moved_' || TG_ARGV[0], true) = '1' THEN
        RETURN NULL;
      END IF;
      PERFORM set_config('civicsante.generation_moved_' || TG_ARGV[0], '1', true);
      INSERT INTO data_generation (name, value) VALUES (TG_ARGV[0], nextval('data_generation_value'))
        ON CONFLICT (name) DO UPDATE SET value = excluded.value;
      RETURN NULL;
    END $$""",
    # TRUNCATE takes the whole table's lock anyway: moved at once.
    """CREATE FUNCTION data_generation_bump_now() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO data_generation (name, value) VALUES (TG_ARGV[0], nextval('data_generation_value'))
        ON CONFLICT (name) DO UPDATE SET value = excluded.value;
      RETURN NULL;
    END $$""",
]


def upgrade():
    op.create_table(
        'data_generation',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_generation')),
    )
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.execute('CREATE SEQUENCE data_generation_value')
        for statement in PG_FUNCTIONS:
            op.execute(statement)
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
    op.drop_table('data_generation')
    if postgres:
        op.execute('DROP FUNCTION data_generation_bump()')
        op.execute('DROP FUNCTION data_generation_bump_now()')
        op.execute('DROP SEQUENCE data_generation_value')
