from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, Length

from civicsante.accounts.models import AGE_BANDS, EMAIL_NOTIFICATION_MODES, EMPLOYMENT_STATUSES, SEXES
from civicsante.accounts.passwords import MAX_LENGTH
from civicsante.blueprints.forms import required

AGE_BAND_LABELS = {
    "moins_de_25": _l("Under 25"),
    "25_34": _l("25 to 34"),
    "35_49": _l("35 to 49"),
    "50_64": _l("50 to 64"),
    "65_74": _l("65 to 74"),
    "75_et_plus": _l("75 and over"),
}
SEX_LABELS = {"femme": _l("Woman"), "homme": _l("Man"), "autre": _l("Other")}
EMPLOYMENT_STATUS_LABELS = {
    "en_activite": _l("In work"), "retraite": _l("Retired"), "sans_emploi": _l("Unemployed"),
    "etudiant": _l("Student"), "autre": _l("Other situation"),
}
EMAIL_NOTIFICATION_LABELS = {
    "aucun": _l("No e-mails"),
    "immediat": _l("Immediately"),
    "hebdomadaire": _l("In a weekly digest"),
}


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ProfileForm(FlaskForm):
    pseudonym = StringField(_l("Pseudonym"), validators=[required(), Length(max=40)])
    home_territory_id = SelectField(_l("Where you live"), coerce=_optional_int, validate_choice=False)
    age_band = SelectField(
        _l("Age band (optional)"),
        choices=[("", _l("I prefer not to say"))] + [(b, AGE_BAND_LABELS[b]) for b in AGE_BANDS],
    )
    sex = SelectField(
        _l("Sex (optional)"),
        choices=[("", _l("I prefer not to say"))] + [(s, SEX_LABELS[s]) for s in SEXES],
    )
    employment_status = SelectField(
        _l("Employment status (optional)"),
        choices=[("", _l("I prefer not to say"))] + [(s, EMPLOYMENT_STATUS_LABELS[s]) for s in EMPLOYMENT_STATUSES],
        validate_choice=False,  # checked by the service; a form sent without it keeps the answer
    )
    language = SelectField(_l("Language"), choices=[("fr", "Français"), ("en", "English")])
    email_notifications = SelectField(
        _l("E-mails about the needs you follow"),
        choices=[(mode, EMAIL_NOTIFICATION_LABELS[mode]) for mode in EMAIL_NOTIFICATION_MODES],
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), Length(max=MAX_LENGTH)])
    new_password = PasswordField(_l("New password"), validators=[required(), Length(max=MAX_LENGTH)])
    new_password_confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[required(), EqualTo("new_password", message=_l("The two passwords are different."))],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[required(), Length(max=MAX_LENGTH)])
    confirm = BooleanField(
        _l("I understand that my account and personal data will be erased for good."),
        validators=[required()],
    )
