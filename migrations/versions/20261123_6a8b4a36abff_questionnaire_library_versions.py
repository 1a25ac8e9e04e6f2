"""Questionnaire library: immutable framework and questionnaire versions keyed by content hash.

Revision ID: 6a8b4a36abff
Revises: 021ed0a571fa
Create Date: 2026-11-23 05:27:48.459813

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a8b4a36abff'
down_revision = '021ed0a571fa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('framework_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_versions')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_framework_versions_content_hash'))
    )
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_framework_versions_framework_id'), ['framework_id'], unique=False)

    op.create_table('questionnaire_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_versions')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_questionnaire_versions_content_hash'))
    )
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_versions_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('questionnaire_version_frameworks',
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('framework_version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['framework_version_id'], ['framework_versions.id'], name=op.f('fk_questionnaire_version_frameworks_framework_version_id_framework_versions')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_versions.id'], name=op.f('fk_questionnaire_version_frameworks_questionnaire_version_id_questionnaire_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('questionnaire_version_id', 'framework_version_id', name=op.f('pk_questionnaire_version_frameworks'))
    )


def downgrade():
    op.drop_table('questionnaire_version_frameworks')
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_versions_questionnaire_id'))

    op.drop_table('questionnaire_versions')
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_framework_versions_framework_id'))

    op.drop_table('framework_versions')
