"""Forms of the activities register. They carry the values as typed; the service
(``app.capacity.activities.check``) decides what fits, so the page and the API refuse the same
things with the same words."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.capacity.activities import AUDIENCE_LABELS, FORMAT_LABELS


class Needed:
    """Marks a field as required on the page; the service checks it (and says why)."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


class ActivityForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("For example “Expedited preservation of stored data: a course for "
                       "prosecutors”. At most 300 characters."),
        validators=[Needed()],
        render_kw={"maxlength": 300},
    )  # fmt: skip
    provider = StringField(
        _l("Provider"),
        description=_l("Who delivers it: an organisation, a project or an expert team."),
        validators=[Needed()],
        render_kw={"maxlength": 200},
    )
    donor = StringField(
        _l("Donor"),
        description=_l("Who pays for it, if not the provider. Leave empty if none."),
        render_kw={"maxlength": 200},
    )
    starts_on = StringField(
        _l("First day"),
        validators=[Needed()],
        render_kw={"type": "date", "autocomplete": "off"},
    )
    ends_on = StringField(
        _l("Last day"),
        description=_l("The same as the first day for a one-day activity."),
        validators=[Needed()],
        render_kw={"type": "date", "autocomplete": "off"},
    )
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(key, label) for key, label in FORMAT_LABELS.items()],
        validate_choice=False,
        validators=[Needed()],
    )
    location = StringField(
        _l("Location"),
        description=_l("City and country. Leave empty for an activity that is online only."),
        render_kw={"maxlength": 200},
    )
    online = BooleanField(_l("Online (entirely or in part)"))
    countries = SelectMultipleField(
        _l("Beneficiary countries"),
        description=_l("Tick each country it serves; their officials see the activity."),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    institutions = TextAreaField(
        _l("Beneficiary institutions"),
        description=_l("For example “Prosecutor General's Office; Judicial Training Centre”."),
        render_kw={"rows": 2, "maxlength": 5000},
    )
    audiences = SelectMultipleField(
        _l("Audiences"),
        choices=[SelectChoice(key, label) for key, label in AUDIENCE_LABELS.items()],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    participants_women = StringField(
        _l("Participants: women"),
        render_kw={"type": "number", "min": 0, "step": 1, "inputmode": "numeric"},
    )
    participants_men = StringField(
        _l("Participants: men"),
        render_kw={"type": "number", "min": 0, "step": 1, "inputmode": "numeric"},
    )
    addresses = SelectMultipleField(
        _l("Provisions and capability areas addressed"),
        description=_l(
            "Beyond those of the needs matched with it. Hold Ctrl (⌘ on a Mac) to choose several."
        ),
        validate_choice=False,
        render_kw={"size": 8},
    )
    outputs = TextAreaField(
        _l("Outputs"),
        description=_l("What it produced: people trained, a draft law, equipment handed over…"),
        render_kw={"rows": 3, "maxlength": 5000},
    )
    version = HiddenField()

    def values(self) -> dict:
        """Return the typed values, as ``activities.check`` takes them."""
        return {
            name: getattr(self, name).data
            for name in (
                "title",
                "provider",
                "donor",
                "starts_on",
                "ends_on",
                "format",
                "location",
                "online",
                "countries",
                "institutions",
                "audiences",
                "participants_women",
                "participants_men",
                "addresses",
                "outputs",
            )
        }


class LinkNeedForm(FlaskForm):
    need = SelectField(
        _l("Need of a beneficiary country"),
        description=_l("Its status becomes “Matched with an activity”."),
        validate_choice=False,
    )


class DocumentForm(FlaskForm):
    file = FileField(
        _l("Document"),
        validators=[FileRequired(message=_l("Choose a file."))],
        description=_l("Agenda, report or materials: PDF, DOCX, XLSX, PPTX, ODT, PNG or JPEG."),
    )
