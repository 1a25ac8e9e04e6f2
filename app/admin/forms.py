"""Forms of the administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.core.labels import ROLE_LABELS
from app.i18n import country_name


class AccountFieldsMixin:
    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    country = SelectField(
        _l("Country"),
        default="",
        description=_l("Required for officials, who see only their country; empty for the others."),
    )

    def set_choices(self, roles, countries) -> None:
        """Offer the roles the current user may give, and every country."""
        self.role.choices = [SelectChoice(role.value, ROLE_LABELS[role]) for role in roles]
        self.country.choices = [
            SelectChoice("", _l("— none —")),
            *(SelectChoice(c.code, f"{country_name(c)} ({c.code})") for c in countries),
        ]


class InviteForm(AccountFieldsMixin, FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("The invitation link is sent here; it works once, for 7 days."),
    )


class EditUserForm(AccountFieldsMixin, FlaskForm):
    pass
