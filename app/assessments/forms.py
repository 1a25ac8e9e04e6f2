"""Forms of the cycle pages and the workbook upload."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
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
