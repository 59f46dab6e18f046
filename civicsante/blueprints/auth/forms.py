from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, Length

from civicsante.accounts.passwords import MAX_LENGTH
from civicsante.blueprints.forms import required


class SignUpForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[required(), Length(max=254)])
    pseudonym = StringField(_l("Pseudonym"), validators=[required(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[required(), Length(max=MAX_LENGTH)])
    password_confirm = PasswordField(
        _l("Confirm the password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords are different."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[required(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[required(), Length(max=MAX_LENGTH)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[required(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[required(), Length(max=MAX_LENGTH)])
    password_confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords are different."))],
    )
