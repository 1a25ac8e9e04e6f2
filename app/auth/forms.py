"""Forms of the sign-in and account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.forms import NewPasswordMixin


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As colleagues and reviewers will see it."),
        render_kw={"autocomplete": "name"},
    )
