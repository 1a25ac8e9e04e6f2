"""The review workspace: maturity stages confirmed by reviewers, comments on elements,
recommendations and their library, questions on provisions, the rules version of a finished
review, and an index for an object's own audit trail.

Revision ID: 9f9336c65cdd
Revises: 9e4a1c7b2f60
Create Date: 2026-12-17 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '9f9336c65cdd'
down_revision = '9e4a1c7b2f60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recommendation_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provision', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_recommendation_templates_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_templates'))
    )
    with op.batch_alter_table('recommendation_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_templates_provision'), ['provision'], unique=False)

    op.create_table('recommendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('provision', sa.String(length=60), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', UTCDateTime(), nullable=True),
    sa.Column('follow_up', sa.String(length=12), nullable=True),
    sa.Column('follow_up_comment', sa.Text(), nullable=True),
    sa.Column('followed_up_in_id', sa.Integer(), nullable=True),
    sa.Column('followed_up_at', UTCDateTime(), nullable=True),
    sa.Column('followed_up_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_recommendations_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_recommendations_created_by_id_users')),
    sa.ForeignKeyConstraint(['followed_up_by_id'], ['users.id'], name=op.f('fk_recommendations_followed_up_by_id_users')),
    sa.ForeignKeyConstraint(['followed_up_in_id'], ['assessments.id'], name=op.f('fk_recommendations_followed_up_in_id_assessments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['recommendation_templates.id'], name=op.f('fk_recommendations_template_id_recommendation_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations'))
    )
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendations_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendations_followed_up_in_id'), ['followed_up_in_id'], unique=False)

    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('provision', sa.String(length=60), nullable=False),
    sa.Column('element', sa.String(length=120), nullable=True),
    sa.Column('layer', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_review_comments_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_comments_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_comments_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('stage_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=60), nullable=False),
    sa.Column('layer', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('derived', sa.Integer(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=True),
    sa.Column('rated_at', UTCDateTime(), nullable=False),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_stage_ratings_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_by_id'], ['users.id'], name=op.f('fk_stage_ratings_rated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_ratings'))
    )
    with op.batch_alter_table('stage_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_ratings_assessment_id'), ['assessment_id'], unique=False)

    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_version', sa.String(length=20), nullable=True))

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)

    with op.batch_alter_table('clarifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provision', sa.String(length=60), nullable=True))



def downgrade():
    with op.batch_alter_table('clarifications', schema=None) as batch_op:
        batch_op.drop_column('provision')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')

    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('rules_version')

    with op.batch_alter_table('stage_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_ratings_assessment_id'))

    op.drop_table('stage_ratings')
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_comments_assessment_id'))

    op.drop_table('review_comments')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendations_followed_up_in_id'))
        batch_op.drop_index(batch_op.f('ix_recommendations_assessment_id'))

    op.drop_table('recommendations')
    with op.batch_alter_table('recommendation_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_templates_provision'))

    op.drop_table('recommendation_templates')
