"""Forms of the cycle pages and the workbook upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


def _at_least_one(form, field) -> None:
    # Not DataRequired: its "required" flag would mark every single checkbox as required.
    if not field.data:
        raise ValidationError(_l("Choose at least one participating country."))


class CycleForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("For example “2027 assessment round”."),
    )
    questionnaire_version = SelectField(_l("Questionnaire version"), validators=[DataRequired()])
    deadline = DateField(
        _l("Deadline for submissions"),
        validators=[DataRequired(message=_l("Give the deadline as a date."))],
    )
    countries = SelectMultipleField(
        _l("Participating countries"),
        description=_l(
            "Tick each country that takes part; countries marked as participating are ticked."
        ),
        validators=[_at_least_one],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    carry_over = BooleanField(
        _l("Start from each country's answers of its previous finished cycle"),
        default=True,
        description=_l("Copied answers are marked “carried over — please confirm” until touched."),
    )
    second_review = BooleanField(
        _l("Each assessment is rated by a second reviewer too"),
        default=False,
        description=_l(
            "Two reviewers rate every provision independently; where they differ, the lead "
            "reviewer or a coordinator settles the final rating, and their agreement is measured."
        ),
    )

    #: The capability areas offered a target stage: (area id, field name), set by ``with_areas``.
    target_fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def with_areas(cls, areas) -> type[CycleForm]:
        """Return the form with a target maturity stage (0 = none, 1 to 5) for each capability
        area ``(id, title)``: an area finally below its target becomes a capacity-building need
        when a review is finalised."""
        from app.core.labels import MATURITY_STAGE_LABELS

        choices = [SelectChoice("0", _l("No target"))] + [
            SelectChoice(str(stage), f"{stage} — {label}")
            for stage, label in MATURITY_STAGE_LABELS.items()
        ]
        fields = {
            f"target_{index}": SelectField(title, choices=choices, default="0")
            for index, (_area, title) in enumerate(areas)
        }
        names = tuple((area, f"target_{index}") for index, (area, _title) in enumerate(areas))
        return type(cls.__name__, (cls,), {**fields, "target_fields": names})

    def maturity_targets(self) -> dict[str, int]:
        """Return the target stage chosen for each area (areas without a target left out)."""
        chosen = {area: int(getattr(self, name).data or 0) for area, name in self.target_fields}
        return {area: stage for area, stage in chosen.items() if stage > 0}

    def show_targets(self, targets: dict[str, int]) -> None:
        """Fill the target selects with a cycle's targets."""
        for area, name in self.target_fields:
            getattr(self, name).data = str(targets.get(area, 0))


class WorkbookUploadForm(FlaskForm):
    workbook = FileField(
        _l("Filled workbook (.xlsx)"),
        validators=[
            FileRequired(message=_l("Choose the workbook file.")),
            FileAllowed(["xlsx"], _l("Upload the .xlsx workbook downloaded from this page.")),
        ],
    )


class EvidenceForm(FlaskForm):
    file = FileField(
        _l("Evidence file"),
        validators=[FileRequired(message=_l("Choose a file."))],
        description=_l("PDF, DOCX, XLSX, ODT, PNG or JPEG."),
    )


class RecommendationTemplateForm(FlaskForm):
    """A reusable recommendation of the library: its provision (when added) and text."""

    provision = SelectField(
        _l("Provision"),
        validators=[DataRequired(message=_l("Choose a provision of the frameworks."))],
        validate_choice=False,  # the service says why an unknown provision is refused
    )
    text = TextAreaField(
        _l("Recommendation"),
        validators=[DataRequired(message=_l("Write the recommendation."))],
        description=_l(
            "Addressed to the country: what to change and how. Reviewers may adapt it to the "
            "country when they take it. At most 5,000 characters."
        ),
        render_kw={"rows": 5, "maxlength": 5000},
    )
    active = BooleanField(
        _l("Offered to reviewers"),
        default=True,
        description=_l(
            "Untick to take it out of the library; recommendations already made keep their text."
        ),
    )
