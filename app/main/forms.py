"""Forms of the account page and the language switch."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[DataRequired()],
    )
    next = HiddenField()


class AccountForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As colleagues and reviewers will see it."),
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("As my browser asks")),
            *(SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()),
        ],
        description=_l("The language of every page and e-mail."),
    )
