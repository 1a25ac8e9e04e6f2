"""Forms of the 24/7 directory and the industry contact list.

They carry the CSRF token and the typed values; the services check the values and name the field
at fault, which the views put next to it (so the rules live in one place).
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.capacity import directory


def _choices(labels) -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in labels.items()]


class ContactForm(FlaskForm):
    """A country's contact in one network (prefixed with the network's id on the page)."""

    unit = StringField(
        _l("Unit"),
        description=_l("The unit or office, not a person's name."),
        render_kw={"maxlength": 200, "autocomplete": "organization"},
    )
    unit_type = SelectField(_l("Type of unit"), validate_choice=False)
    phone = StringField(
        _l("24/7 telephone"),
        description=_l("In international form, starting with + and the country code."),
        render_kw={"type": "tel", "autocomplete": "tel", "maxlength": 40},
    )
    email = StringField(
        _l("Functional e-mail address"),
        description=_l("A mailbox the unit reads, not a person's."),
        render_kw={"type": "email", "autocomplete": "email", "maxlength": 254},
    )
    secure_channel = StringField(
        _l("Secure channel"),
        description=_l("For example encrypted e-mail or a secure platform (optional)."),
        render_kw={"maxlength": 200},
    )
    languages = StringField(
        _l("Working languages"), render_kw={"maxlength": 200}, description=_l("Optional.")
    )
    can_preserve = BooleanField(_l("Can order the expedited preservation of data"))
    can_disclose_in_emergency = BooleanField(_l("Can handle emergency disclosure requests"))
    mla_authority = StringField(
        _l("MLA central authority it works with"),
        description=_l("Optional."),
        render_kw={"maxlength": 300},
    )
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_type.choices = [("", str(_l("— choose —"))), *_choices(directory.UNIT_TYPES)]


class VerifyForm(FlaskForm):
    """The last verification of a contact or a provider's liaison point."""

    on = StringField(
        _l("Verified on"),
        description=_l("The day it was confirmed; not in the future."),
        render_kw={"type": "date"},
    )
    how = SelectField(_l("How"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.how.choices = [
            ("", str(_l("— choose —"))),
            *_choices(directory.VERIFICATION_METHODS),
        ]


class TestForm(FlaskForm):
    """A reachability test of a contact."""

    on = StringField(_l("Tested on"), render_kw={"type": "date"})
    channel = SelectField(_l("Channel"), validate_choice=False)
    outcome = SelectField(_l("Outcome"), validate_choice=False)
    response_minutes = StringField(
        _l("Response time in minutes"),
        description=_l("Leave empty when nobody answered."),
        render_kw={"type": "number", "min": 0, "step": 1, "inputmode": "numeric"},
    )
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2, "maxlength": 2000})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [("", str(_l("— choose —"))), *_choices(directory.TEST_CHANNELS)]
        self.outcome.choices = [
            ("", str(_l("— choose —"))),
            *((key, str(label)) for key, (label, _css) in directory.TEST_OUTCOMES.items()),
        ]


class NetworkForm(FlaskForm):
    """A new network of 24/7 contacts."""

    name = StringField(_l("Name of the network"), render_kw={"maxlength": 200})
    interval_months = StringField(
        _l("Re-verification interval (months)"),
        description=_l("Contacts must be verified again after this many months (1 to 36)."),
        default="6",
        render_kw={"type": "number", "min": 1, "max": 36, "inputmode": "numeric"},
    )


class NetworkSettingsForm(FlaskForm):
    """A network's interval and whether it is in use (prefixed with its id on the page)."""

    interval_months = StringField(
        _l("Re-verification interval (months)"),
        render_kw={"type": "number", "min": 1, "max": 36, "inputmode": "numeric"},
    )
    active = BooleanField(_l("In use"))


class ProviderForm(FlaskForm):
    """A service provider's law-enforcement liaison point."""

    name = StringField(_l("Service provider"), render_kw={"maxlength": 200})
    established_in = SelectField(
        _l("Established in"),
        description=_l("Its officials may keep this entry too."),
        validate_choice=False,
    )
    unit = StringField(_l("Unit or portal that receives requests"), render_kw={"maxlength": 300})
    portal_url = StringField(
        _l("Portal address"),
        description=_l("Starting with https:// (optional if an e-mail address is given)."),
        render_kw={"type": "url", "maxlength": 500},
    )
    email = StringField(
        _l("E-mail address for requests"), render_kw={"type": "email", "maxlength": 254}
    )
    phone = StringField(
        _l("Telephone"),
        description=_l("Optional; in international form, starting with +."),
        render_kw={"type": "tel", "maxlength": 40},
    )
    request_kinds = SelectMultipleField(
        _l("Requests it accepts"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    countries = StringField(
        _l("Countries it serves"),
        description=_l("ISO three-letter codes separated by commas, e.g. FRA, DEU, XAA."),
        render_kw={"maxlength": 2000},
    )
    languages = StringField(_l("Languages"), render_kw={"maxlength": 200})
    emergency_channel = StringField(
        _l("Emergency channel"),
        description=_l("How to reach it when a life is at risk."),
        render_kw={"maxlength": 300},
    )
    interval_months = StringField(
        _l("Re-verification interval (months)"),
        default="6",
        render_kw={"type": "number", "min": 1, "max": 36, "inputmode": "numeric"},
    )
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_kinds.choices = _choices(directory.REQUEST_KINDS)
