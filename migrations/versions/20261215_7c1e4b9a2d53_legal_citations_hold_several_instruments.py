"""Legal citations hold several instruments: a stored citation becomes a list of one instrument.

A citation was one object ({instrument, article, in_force_date, stage, link}); it is now a list of
such objects, since an offence is often split between a criminal code and a special law. The
answers and their history (old and new values) are converted; the downgrade turns lists of one
instrument back into one object (lists of several cannot be, and stay lists).

A citation is recognised by its shape: an object with a "stage" and no key but the citation's
fields (no other question type stores such an object).

Revision ID: 7c1e4b9a2d53
Revises: f8b296d01ca8
Create Date: 2026-12-15 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e4b9a2d53'
down_revision = 'f8b296d01ca8'
branch_labels = None
depends_on = None

FIELDS = {"instrument", "article", "in_force_date", "stage", "link"}
STAGES = {"none", "draft", "tabled", "adopted", "in_force"}

answers = sa.table("answers", sa.column("id", sa.Integer), sa.column("value", sa.JSON))
answer_revisions = sa.table(
    "answer_revisions",
    sa.column("id", sa.Integer),
    sa.column("old_value", sa.JSON),
    sa.column("new_value", sa.JSON),
)


def _citation(value):
    """Return whether a stored value is one citation as it was stored before."""
    return isinstance(value, dict) and value.get("stage") in STAGES and set(value) <= FIELDS


def to_list(value):
    """Return a single citation as a list of one, or None when ``value`` is none."""
    return [value] if _citation(value) else None


def to_single(value):
    """Return a list of one citation as that citation, or None when ``value`` is none."""
    if isinstance(value, list) and len(value) == 1 and _citation(value[0]):
        return value[0]
    return None


def _convert(table, columns, change):
    """Rewrite the values of ``columns`` that ``change`` converts (it returns None for others)."""
    connection = op.get_bind()
    # Only values that mention a stage can be citations: the database narrows them down.
    mentions = sa.or_(*(sa.cast(table.c[name], sa.Text).like('%"stage"%') for name in columns))
    rows = connection.execute(
        sa.select(table.c.id, *(table.c[name] for name in columns)).where(mentions)
    ).all()
    for row in rows:
        values = {}
        for name in columns:
            converted = change(getattr(row, name))
            if converted is not None:
                values[name] = converted
        if values:
            connection.execute(table.update().where(table.c.id == row.id).values(**values))


def upgrade():
    _convert(answers, ["value"], to_list)
    _convert(answer_revisions, ["old_value", "new_value"], to_list)


def downgrade():
    _convert(answers, ["value"], to_single)
    _convert(answer_revisions, ["old_value", "new_value"], to_single)
