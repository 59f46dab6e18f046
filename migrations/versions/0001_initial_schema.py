"""Initial schema: accounts, sessions, roles, territories, establishments, associations, audit log

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 11:22:12.676165

"""
from alembic import op
import sqlalchemy as sa

from civicsante.audit import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('territory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.CheckConstraint("kind IN ('region', 'departement', 'epci', 'commune', 'quartier')", name=op.f('ck_territory_kind')),
    sa.ForeignKeyConstraint(['parent_id'], ['territory.id'], name=op.f('fk_territory_parent_id_territory')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_territory')),
    sa.UniqueConstraint('code', name=op.f('uq_territory_code'))
    )
    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_territory_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_territory_path', ['path'], unique=False)

    op.create_table('association',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('approval_level', sa.String(length=10), nullable=False),
    sa.Column('approval_number', sa.String(length=50), nullable=False),
    sa.Column('approval_expires_on', sa.Date(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("approval_level IN ('national', 'regional')", name=op.f('ck_association_approval_level')),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_association_territory_id_territory')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_association')),
    sa.UniqueConstraint('name', name=op.f('uq_association_name'))
    )
    with op.batch_alter_table('association', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_association_territory_id'), ['territory_id'], unique=False)

    op.create_table('establishment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finess', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('centre_hospitalier', 'chu', 'clinique', 'etablissement_psychiatrique', 'ssr', 'ehpad', 'centre_de_sante', 'centre_de_sante_communautaire', 'autre')", name=op.f('ck_establishment_kind')),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_establishment_territory_id_territory')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_establishment')),
    sa.UniqueConstraint('finess', name=op.f('uq_establishment_finess'))
    )
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_establishment_territory_id'), ['territory_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('pseudonym', sa.String(length=40), nullable=True),
    sa.Column('pseudonym_key', sa.String(length=40), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('home_territory_id', sa.Integer(), nullable=True),
    sa.Column('age_band', sa.String(length=20), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("age_band IS NULL OR age_band IN ('moins_de_25', '25_34', '35_49', '50_64', '65_74', '75_et_plus')", name=op.f('ck_user_account_age_band')),
    sa.CheckConstraint("language IN ('fr', 'en')", name=op.f('ck_user_account_language')),
    sa.CheckConstraint("sex IS NULL OR sex IN ('femme', 'homme', 'autre')", name=op.f('ck_user_account_sex')),
    sa.ForeignKeyConstraint(['home_territory_id'], ['territory.id'], name=op.f('fk_user_account_home_territory_id_territory'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email')),
    sa.UniqueConstraint('pseudonym_key', name=op.f('uq_user_account_pseudonym_key'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_home_territory_id'), ['home_territory_id'], unique=False)

    op.create_table('role_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=True),
    sa.Column('establishment_id', sa.Integer(), nullable=True),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'facilitator' AND territory_id IS NOT NULL AND establishment_id IS NULL) OR (role IN ('complaints_officer', 'mediator')     AND establishment_id IS NOT NULL AND territory_id IS NULL) OR (role IN ('admin', 'user_representative')     AND territory_id IS NULL AND establishment_id IS NULL)", name=op.f('ck_role_assignment_scope')),
    sa.CheckConstraint("role IN ('facilitator', 'user_representative', 'complaints_officer', 'mediator', 'admin')", name=op.f('ck_role_assignment_role')),
    sa.ForeignKeyConstraint(['establishment_id'], ['establishment.id'], name=op.f('fk_role_assignment_establishment_id_establishment')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_role_assignment_granted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_role_assignment_territory_id_territory')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_role_assignment_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignment'))
    )
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_assignment_establishment_id'), ['establishment_id'], unique=False)
        batch_op.create_index('ix_role_assignment_role_scope', ['role', 'territory_id', 'establishment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_assignment_user_id'), ['user_id'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_session_key_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)


    # The audit log is append-only at the database level too (see civicsante/audit.py).
    for statement in APPEND_ONLY_DDL[op.get_bind().dialect.name]:
        op.execute(statement)

def downgrade():
    for statement in DROP_APPEND_ONLY_DDL[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_assignment_user_id'))
        batch_op.drop_index('ix_role_assignment_role_scope')
        batch_op.drop_index(batch_op.f('ix_role_assignment_establishment_id'))

    op.drop_table('role_assignment')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_home_territory_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_establishment_territory_id'))

    op.drop_table('establishment')
    with op.batch_alter_table('association', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_association_territory_id'))

    op.drop_table('association')
    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.drop_index('ix_territory_path')
        batch_op.drop_index(batch_op.f('ix_territory_parent_id'))

    op.drop_table('territory')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
