"""Needs: categories (seeded), needs, supports, followers, comments, reports, status timeline,
notifications; e-mail notification preference on accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:03:25.660191

"""
from alembic import op
import sqlalchemy as sa

SEED_CATEGORIES = [
    ('premier_recours', 'Accès aux soins de premier recours', 'Access to primary care'),
    ('sante_mentale', 'Santé mentale', 'Mental health'),
    ('prevention', 'Prévention', 'Prevention'),
    ('sante_environnementale', 'Santé environnementale', 'Environmental health'),
    ('mobilite', 'Mobilité et accès physique', 'Mobility and physical access'),
    ('personnes_agees', 'Personnes âgées et autonomie', 'Older people and independence'),
    ('enfance', 'Enfance et périnatalité', 'Childhood and perinatal care'),
    ('addictions', 'Addictions et réduction des risques', 'Addictions and harm reduction'),
    ('handicap', 'Handicap', 'Disability'),
    ('acces_droits', 'Accès aux droits', 'Access to rights'),
]


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('need_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label_fr', sa.String(length=100), nullable=False),
    sa.Column('label_en', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_category')),
    sa.UniqueConstraint('code', name=op.f('uq_need_category_code'))
    )
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('public_concerned', sa.String(length=200), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('assisted_name', sa.String(length=120), nullable=True),
    sa.Column('assisted_contact', sa.String(length=200), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('pending_review', sa.Boolean(), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('supports_count', sa.Integer(), nullable=False),
    sa.Column('comments_count', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('en_ligne', 'permanence', 'telephone', 'papier')", name=op.f('ck_need_channel')),
    sa.CheckConstraint("status IN ('nouveau', 'en_examen', 'retenu', 'non_retenu', 'fusionne', 'integre', 'realise')", name=op.f('ck_need_status')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_need_author_id_user_account')),
    sa.ForeignKeyConstraint(['category_id'], ['need_category.id'], name=op.f('fk_need_category_id_need_category')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_need_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['need.id'], name=op.f('fk_need_merged_into_id_need')),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_need_territory_id_territory')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_pending_review'), ['pending_review'], unique=False)
        batch_op.create_index('ix_need_territory_status_created', ['territory_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_need_visible_created', ['hidden', 'created_at'], unique=False)
        batch_op.create_index('ix_need_visible_supports', ['hidden', 'supports_count'], unique=False)

    op.create_table('need_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('pending_review', sa.Boolean(), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_need_comment_author_id_user_account')),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_comment_need_id_need'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_comment'))
    )
    with op.batch_alter_table('need_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_comment_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_need_comment_need_created', ['need_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_comment_pending_review'), ['pending_review'], unique=False)

    op.create_table('need_follower',
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_follower_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_need_follower_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('need_id', 'user_id', name=op.f('pk_need_follower'))
    )
    with op.batch_alter_table('need_follower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_follower_user_id'), ['user_id'], unique=False)

    op.create_table('need_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_need_status_change_by_id_user_account')),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_status_change_need_id_need'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_status_change'))
    )
    with op.batch_alter_table('need_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_status_change_need_id'), ['need_id'], unique=False)

    op.create_table('need_support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('assisted_name', sa.String(length=120), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('en_ligne', 'permanence', 'telephone', 'papier')", name=op.f('ck_need_support_channel')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_need_support_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_support_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_need_support_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_support')),
    sa.UniqueConstraint('need_id', 'user_id', name='uq_need_support_need_user')
    )
    with op.batch_alter_table('need_support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_support_user_id'), ['user_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_notification_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_emailed_at'), ['emailed_at'], unique=False)
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('abuse_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(need_id IS NULL) <> (comment_id IS NULL)', name=op.f('ck_abuse_report_one_target')),
    sa.ForeignKeyConstraint(['comment_id'], ['need_comment.id'], name=op.f('fk_abuse_report_comment_id_need_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_abuse_report_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['user_account.id'], name=op.f('fk_abuse_report_reporter_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_abuse_report')),
    sa.UniqueConstraint('reporter_id', 'need_id', 'comment_id', name='uq_abuse_report_item')
    )
    with op.batch_alter_table('abuse_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_abuse_report_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_abuse_report_need_id'), ['need_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_notifications', sa.String(length=15), server_default='aucun', nullable=False))
        batch_op.create_check_constraint(
            'email_notifications', "email_notifications IN ('aucun', 'immediat', 'hebdomadaire')")

    # The categories a need can have; configurable afterwards (need_category.active, position).
    categories = sa.table(
        'need_category', sa.column('code', sa.String), sa.column('label_fr', sa.String),
        sa.column('label_en', sa.String), sa.column('position', sa.Integer), sa.column('active', sa.Boolean))
    op.bulk_insert(categories, [
        {'code': code, 'label_fr': fr, 'label_en': en, 'position': i, 'active': True}
        for i, (code, fr, en) in enumerate(SEED_CATEGORIES, start=1)
    ])



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_email_notifications'), type_='check')
        batch_op.drop_column('email_notifications')

    with op.batch_alter_table('abuse_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_abuse_report_need_id'))
        batch_op.drop_index(batch_op.f('ix_abuse_report_comment_id'))

    op.drop_table('abuse_report')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')
        batch_op.drop_index(batch_op.f('ix_notification_emailed_at'))

    op.drop_table('notification')
    with op.batch_alter_table('need_support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_support_user_id'))

    op.drop_table('need_support')
    with op.batch_alter_table('need_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_status_change_need_id'))

    op.drop_table('need_status_change')
    with op.batch_alter_table('need_follower', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_follower_user_id'))

    op.drop_table('need_follower')
    with op.batch_alter_table('need_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_comment_pending_review'))
        batch_op.drop_index('ix_need_comment_need_created')
        batch_op.drop_index(batch_op.f('ix_need_comment_author_id'))

    op.drop_table('need_comment')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index('ix_need_visible_supports')
        batch_op.drop_index('ix_need_visible_created')
        batch_op.drop_index('ix_need_territory_status_created')
        batch_op.drop_index(batch_op.f('ix_need_pending_review'))
        batch_op.drop_index(batch_op.f('ix_need_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_need_created_at'))
        batch_op.drop_index(batch_op.f('ix_need_category_id'))
        batch_op.drop_index(batch_op.f('ix_need_author_id'))

    op.drop_table('need')
    op.drop_table('need_category')
