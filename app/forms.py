"""Form pieces shared by every area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, ValidationError
from wtforms.validators import DataRequired, EqualTo

from app.core.security import MAX_PASSWORD_LENGTH, password_problems


class ActionForm(FlaskForm):
    """An empty form: carries the CSRF token of action buttons."""


class NewPasswordMixin:
    """A new password typed twice, checked against the password policy."""

    #: The e-mail the password must not equal; set by the view.
    policy_email: str | None = None

    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l(
            "At least 12 characters. A few unrelated words make a strong, memorable password."
        ),
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD_LENGTH},
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_new_password(self, field) -> None:
        problems = password_problems(field.data or "", self.policy_email)
        if problems:
            raise ValidationError(" ".join(problems))
