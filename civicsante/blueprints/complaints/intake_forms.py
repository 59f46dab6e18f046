"""Forms of the complaint intake: filing online, registration by the office, the patient's
consent. Choices from the database (establishments) are filled by the routes; the services check
every rule again (``complaints.intake``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import required
from civicsante.complaints.intake import CONSENT_SCOPE_MAX, EXPECTATIONS_MAX, FACTS_MAX, MEDICAL_DETAILS_MAX
from civicsante.complaints.models import CHANNEL_LABELS, CHANNELS, ONLINE, RELATION_LABELS, RELATIONS

RELATION_CHOICES = [(code, RELATION_LABELS[code]) for code in RELATIONS]
OFFICE_CHANNEL_CHOICES = [(code, CHANNEL_LABELS[code]) for code in CHANNELS if code != ONLINE]


class _ComplaintFields(FlaskForm):
    relation = SelectField(_l("You are"), choices=RELATION_CHOICES, validate_choice=False)
    facts = TextAreaField(_l("What happened"), validators=[required(), Length(max=FACTS_MAX)])
    occurred_on = DateField(_l("When it happened"),
                            validators=[InputRequired(message=_l("Give the date of what happened "
                                                                 "(approximately if need be)."))])
    service_concerned = StringField(_l("Service concerned"), validators=[Optional(), Length(max=200)])
    expectations = TextAreaField(_l("What you expect"), validators=[Optional(), Length(max=EXPECTATIONS_MAX)])
    patient_hospitalised = BooleanField(_l("The patient is still in hospital"))
    discharge_expected_on = DateField(_l("Expected discharge date"), validators=[Optional()])
    medical_details = TextAreaField(_l("Medical details (kept apart)"),
                                    validators=[Optional(), Length(max=MEDICAL_DETAILS_MAX)])
    attachments = MultipleFileField(_l("Documents (PDF, JPEG or PNG)"))


class FileComplaintForm(_ComplaintFields):
    establishment_id = SelectField(_l("Establishment concerned"), coerce=_optional_int, validate_choice=False,
                                   validators=[required()])


class RegisterComplaintForm(_ComplaintFields):
    channel = SelectField(_l("Received by"), choices=OFFICE_CHANNEL_CHOICES, validate_choice=False)
    received_on = DateField(_l("Date of receipt"), validators=[Optional()])
    complainant_name = StringField(_l("Name of the person"), validators=[required(), Length(max=200)])
    complainant_contact = StringField(_l("Their contact (postal address, phone or e-mail)"),
                                      validators=[required(), Length(max=300)])
    relation = SelectField(_l("The person is"), choices=RELATION_CHOICES, validate_choice=False)
    written_down_for_person = BooleanField(_l("We wrote the complaint down for the person"))
    copy_handed_over = BooleanField(_l("A copy was handed over to the person"))


class ConsentForm(FlaskForm):
    signed_by = StringField(_l("Signed by (the patient, or their heirs)"),
                            validators=[required(), Length(max=200)])
    signed_on = DateField(_l("Date of signature"),
                          validators=[InputRequired(message=_l("Give the date the consent was signed."))])
    scope = StringField(_l("What the consent covers"), validators=[required(), Length(max=CONSENT_SCOPE_MAX)])
