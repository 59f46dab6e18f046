"""Consultations: priorities, ballots, participation, paper batches, follow-up

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:47:15.661895

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consultation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('max_approvals', sa.Integer(), nullable=True),
    sa.Column('points_budget', sa.Integer(), nullable=True),
    sa.Column('grade_labels_json', sa.Text(), nullable=True),
    sa.Column('secrecy', sa.String(length=10), nullable=False),
    sa.Column('results_visibility', sa.String(length=15), nullable=False),
    sa.Column('collect_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deliberation_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vote_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vote_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('followup_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results_json', sa.Text(), nullable=True),
    sa.Column('results_computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ballots_sealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('single', 'approval', 'borda', 'schulze', 'points', 'majority_judgment')", name=op.f('ck_consultation_method')),
    sa.CheckConstraint("results_visibility IN ('en_direct', 'apres_cloture')", name=op.f('ck_consultation_results_visibility')),
    sa.CheckConstraint("secrecy IN ('secret', 'ouvert')", name=op.f('ck_consultation_secrecy')),
    sa.CheckConstraint('collect_starts_at <= deliberation_starts_at AND deliberation_starts_at <= vote_starts_at AND vote_starts_at < vote_ends_at AND vote_ends_at <= followup_starts_at', name=op.f('ck_consultation_phase_order')),
    sa.CheckConstraint('max_approvals IS NULL OR max_approvals >= 1', name=op.f('ck_consultation_max_approvals')),
    sa.CheckConstraint('points_budget IS NULL OR points_budget >= 1', name=op.f('ck_consultation_points_budget')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_consultation_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_consultation_territory_id_territory')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation'))
    )
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_territory_vote', ['territory_id', 'vote_starts_at'], unique=False)
        batch_op.create_index('ix_consultation_vote_ends', ['vote_ends_at'], unique=False)

    op.create_table('paper_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('collected_on', sa.Date(), nullable=False),
    sa.Column('declared_count', sa.Integer(), nullable=False),
    sa.Column('draft_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('declared_count >= 1', name=op.f('ck_paper_batch_declared_count')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_paper_batch_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_paper_batch_entered_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_batch'))
    )
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.create_index('ix_paper_batch_consultation', ['consultation_id', 'id'], unique=False)

    op.create_table('participation',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('receipt', sa.String(length=20), nullable=False),
    sa.CheckConstraint("channel IN ('en_ligne', 'assiste')", name=op.f('ck_participation_channel')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_participation_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_participation_entered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_participation_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', 'user_id', name=op.f('pk_participation'))
    )
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_user_id'), ['user_id'], unique=False)

    op.create_table('priority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_priority_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_priority_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_priority'))
    )
    with op.batch_alter_table('priority', schema=None) as batch_op:
        batch_op.create_index('ix_priority_consultation_position', ['consultation_id', 'position'], unique=False)

    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('voter_id', sa.Integer(), nullable=True),
    sa.Column('territory_id', sa.Integer(), nullable=True),
    sa.Column('age_band', sa.String(length=20), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('en_ligne', 'papier', 'assiste')", name=op.f('ck_ballot_channel')),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batch.id'], name=op.f('fk_ballot_batch_id_paper_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_ballot_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_ballot_territory_id_territory'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['voter_id'], ['user_account.id'], name=op.f('fk_ballot_voter_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('consultation_id', 'voter_id', name='uq_ballot_consultation_voter'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_ballot_consultation_channel', ['consultation_id', 'channel'], unique=False)

    op.create_table('priority_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'abandonne' OR reason IS NOT NULL", name=op.f('ck_priority_milestone_abandon_reason')),
    sa.CheckConstraint("status IN ('a_l_etude', 'engage', 'en_cours', 'realise', 'abandonne')", name=op.f('ck_priority_milestone_status')),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_priority_milestone_progress')),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_priority_milestone_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_priority_milestone_priority_id_priority'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_priority_milestone'))
    )
    with op.batch_alter_table('priority_milestone', schema=None) as batch_op:
        batch_op.create_index('ix_priority_milestone_priority_on', ['priority_id', 'happened_on'], unique=False)

    op.create_table('priority_need',
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_priority_need_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_priority_need_priority_id_priority'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('priority_id', 'need_id', name=op.f('pk_priority_need'))
    )
    with op.batch_alter_table('priority_need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_priority_need_need_id'), ['need_id'], unique=False)

    op.create_table('ballot_mark',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_mark_ballot_id_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_ballot_mark_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_ballot_mark_priority_id_priority'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'priority_id', name=op.f('pk_ballot_mark')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballot_mark', schema=None) as batch_op:
        batch_op.create_index('ix_ballot_mark_tally', ['consultation_id', 'priority_id', 'value'], unique=False)



def downgrade():
    with op.batch_alter_table('ballot_mark', schema=None) as batch_op:
        batch_op.drop_index('ix_ballot_mark_tally')

    op.drop_table('ballot_mark')
    with op.batch_alter_table('priority_need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_priority_need_need_id'))

    op.drop_table('priority_need')
    with op.batch_alter_table('priority_milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_priority_milestone_priority_on')

    op.drop_table('priority_milestone')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index('ix_ballot_consultation_channel')
        batch_op.drop_index(batch_op.f('ix_ballot_batch_id'))

    op.drop_table('ballot')
    with op.batch_alter_table('priority', schema=None) as batch_op:
        batch_op.drop_index('ix_priority_consultation_position')

    op.drop_table('priority')
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_user_id'))

    op.drop_table('participation')
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_paper_batch_consultation')

    op.drop_table('paper_batch')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_vote_ends')
        batch_op.drop_index('ix_consultation_territory_vote')

    op.drop_table('consultation')
