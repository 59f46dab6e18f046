"""Forms of the mandates admin. They only parse what was typed: the rules (terms, caps, approval
of the association, overlaps, CDU offices…) live in ``civicsante.mandates.services``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import required
from civicsante.mandates.models import (
    END_REASON_LABELS,
    END_REASONS,
    MANDATE_STATUS_LABELS,
    MANDATE_STATUSES,
    SEAT_KIND_LABELS,
    SEAT_KINDS,
)

DATE_HINT = _l("Enter a date such as 2027-01-14.")


def _date(label, *, optional: bool = False) -> DateField:
    # InputRequired, not DataRequired: a date typed wrongly keeps its own message.
    validators = [Optional()] if optional else [InputRequired(message=_l("This field is required."))]
    return DateField(label, validators=validators, invalid_value_message=DATE_HINT)


def _count(label, *, optional: bool = False) -> IntegerField:
    validators = [Optional()] if optional else [InputRequired(message=_l("This field is required."))]
    validators.append(NumberRange(min=0, message=_l("Give a whole number, 0 or more.")))
    return IntegerField(label, validators=validators)


class InstanceTypeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required(), Length(max=150)])
    designating_authority = StringField(_l("Designating authority"), validators=[required(), Length(max=150)])
    term_months = _count(_l("Term (months)"))
    renewal_cap = _count(_l("Renewals allowed"), optional=True)
    hours_per_month = _count(_l("Time the role takes (hours a month)"))
    role_description = TextAreaField(_l("What the role involves"))
    training_offered = TextAreaField(_l("Training offered"))


class InstanceForm(FlaskForm):
    type_id = SelectField(_l("Type"), coerce=_optional_int, validate_choice=False, validators=[required()])
    name = StringField(_l("Name"), validators=[required(), Length(max=200)])
    establishment_id = SelectField(_l("Establishment"), coerce=_optional_int, validate_choice=False)
    territory_id = SelectField(_l("Territory"), coerce=_optional_int, validate_choice=False)
    default_seats = BooleanField(_l("Create the seats of the legal composition"), default=True)


class SeatForm(FlaskForm):
    kind = SelectField(_l("Kind of seat"), choices=[(k, SEAT_KIND_LABELS[k]) for k in SEAT_KINDS])
    label = StringField(_l("Label"), validators=[Length(max=100)])
    titulaire_seat_id = SelectField(_l("Full member's seat it stands in for (a substitute's seat)"),
                                    coerce=_optional_int, validate_choice=False)


class MandateForm(FlaskForm):
    email = EmailField(_l("E-mail address of the person"), validators=[required()])
    seat_id = SelectField(_l("Seat"), coerce=_optional_int, validate_choice=False, validators=[required()])
    association_id = SelectField(_l("Approved association that proposes them"), coerce=_optional_int,
                                 validate_choice=False)
    starts_on = _date(_l("Start date"))
    ends_on = _date(_l("End date"), optional=True)
    designation_authority = StringField(_l("Designating authority"), validators=[Length(max=150)])
    designation_reference = StringField(_l("Reference of the designation act"), validators=[Length(max=100)])
    designation_date = _date(_l("Date of the designation act"), optional=True)


class DesignateForm(FlaskForm):
    authority = StringField(_l("Designating authority"), validators=[required(), Length(max=150)])
    reference = StringField(_l("Reference of the designation act"), validators=[required(), Length(max=100)])
    designation_date = _date(_l("Date of the designation act"))


class EndForm(FlaskForm):
    reason = SelectField(_l("Why it ends"), choices=[("", "—")] + [(r, END_REASON_LABELS[r]) for r in END_REASONS],
                         validators=[required()])
    ended_on = _date(_l("Last day of the mandate"))


class OfficeForm(FlaskForm):
    president = BooleanField(_l("President of the committee"))
    vice_president = BooleanField(_l("Vice-president of the committee"))


class ContactForm(FlaskForm):
    email = EmailField(_l("E-mail address of the person"), validators=[required()])


STATUS_CHOICES = [("", _l("All statuses"))] + [(s, MANDATE_STATUS_LABELS[s]) for s in MANDATE_STATUSES]
