"""Provision ratings: reviewers' ratings of each provision, in layers, never overwritten.

Revision ID: 9e4a1c7b2f60
Revises: 3b5d8e2f9a41
Create Date: 2026-12-16 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '9e4a1c7b2f60'
down_revision = '3b5d8e2f9a41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provision_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("provision", sa.String(length=60), nullable=False),
        sa.Column("layer", sa.String(length=10), nullable=False),
        sa.Column("rating", sa.String(length=2), nullable=False),
        sa.Column("derived", sa.String(length=2), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("rated_at", UTCDateTime(), nullable=False),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], name=op.f("fk_provision_ratings_assessment_id_assessments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rated_by_id"], ["users.id"], name=op.f("fk_provision_ratings_rated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provision_ratings")),
    )
    op.create_index(op.f("ix_provision_ratings_assessment_id"), "provision_ratings", ["assessment_id"])


def downgrade():
    op.drop_index(op.f("ix_provision_ratings_assessment_id"), table_name="provision_ratings")
    op.drop_table("provision_ratings")
