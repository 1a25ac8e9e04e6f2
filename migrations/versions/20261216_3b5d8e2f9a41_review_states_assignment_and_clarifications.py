"""Review: the assessment's review states, its assigned reviewers, clarification requests, and
the cycle's second-review setting.

An assessment now goes draft → submitted → in review → clarification → resubmitted → in review …
→ finalised → published. Its status is stored as text with a CHECK constraint, which is replaced
to admit the new states (SQLite rebuilds the table; PostgreSQL swaps the constraint).

Revision ID: 3b5d8e2f9a41
Revises: 7c1e4b9a2d53
Create Date: 2026-12-16 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '3b5d8e2f9a41'
down_revision = '7c1e4b9a2d53'
branch_labels = None
depends_on = None

OLD = ("draft", "submitted")
NEW = ("draft", "submitted", "in_review", "clarification", "resubmitted", "finalised", "published")
#: The CHECK constraint's name before the naming convention (ck_assessments_...) is applied.
CHECK = "assessment_status"


def _status_check(states) -> str:
    return "status IN (" + ", ".join(f"'{state}'" for state in states) + ")"


def _columns(batch) -> None:
    batch.add_column(sa.Column("lead_reviewer_id", sa.Integer(), nullable=True))
    batch.add_column(sa.Column("second_reviewer_id", sa.Integer(), nullable=True))
    batch.add_column(sa.Column("review_started_at", UTCDateTime(), nullable=True))
    batch.add_column(sa.Column("finalised_at", UTCDateTime(), nullable=True))
    batch.add_column(sa.Column("finalised_by_id", sa.Integer(), nullable=True))
    batch.add_column(sa.Column("published_at", UTCDateTime(), nullable=True))
    batch.add_column(sa.Column("published_by_id", sa.Integer(), nullable=True))
    for column in ("lead_reviewer_id", "second_reviewer_id", "finalised_by_id", "published_by_id"):
        batch.create_foreign_key(
            f"fk_assessments_{column}_users", "users", [column], ["id"]
        )
    batch.create_index("ix_assessments_lead_reviewer_id", ["lead_reviewer_id"])
    batch.create_index("ix_assessments_second_reviewer_id", ["second_reviewer_id"])


def upgrade():
    with op.batch_alter_table("assessments", recreate="auto") as batch:
        batch.drop_constraint(CHECK, type_="check")
        batch.create_check_constraint(CHECK, _status_check(NEW))
        _columns(batch)
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(
            sa.Column("second_review", sa.Boolean(), nullable=False, server_default="0")
        )
    op.create_table(
        "clarifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=120), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.Column("replied_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], name=op.f("fk_clarifications_assessment_id_assessments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asked_by_id"], ["users.id"], name=op.f("fk_clarifications_asked_by_id_users")),
        sa.ForeignKeyConstraint(["replied_by_id"], ["users.id"], name=op.f("fk_clarifications_replied_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarifications")),
    )
    op.create_index(op.f("ix_clarifications_assessment_id"), "clarifications", ["assessment_id"])


def downgrade():
    op.drop_index(op.f("ix_clarifications_assessment_id"), table_name="clarifications")
    op.drop_table("clarifications")
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("second_review")
    # Assessments past "submitted" go back to it: the older schema knows no review.
    op.execute(
        "UPDATE assessments SET status = 'submitted' WHERE status NOT IN ('draft', 'submitted')"
    )
    with op.batch_alter_table("assessments", recreate="auto") as batch:
        batch.drop_index("ix_assessments_second_reviewer_id")
        batch.drop_index("ix_assessments_lead_reviewer_id")
        for column in ("published_by_id", "finalised_by_id", "second_reviewer_id", "lead_reviewer_id"):
            batch.drop_constraint(f"fk_assessments_{column}_users", type_="foreignkey")
        for column in ("published_by_id", "published_at", "finalised_by_id", "finalised_at",
                       "review_started_at", "second_reviewer_id", "lead_reviewer_id"):
            batch.drop_column(column)
        batch.drop_constraint(CHECK, type_="check")
        batch.create_check_constraint(CHECK, _status_check(OLD))
