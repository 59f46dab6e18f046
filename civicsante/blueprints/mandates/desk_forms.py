"""Forms of the representative's desk and of meetings. Choices that depend on the database
(mandates, meetings) are filled by the routes. Meeting times are typed as Europe/Paris wall-clock
time and stored in UTC (``paris_to_utc`` / ``utc_to_paris`` of the consultations forms)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.consultations.forms import DATETIME_FORMAT, paris_today
from civicsante.blueprints.forms import required
from civicsante.mandates.desk import MAX_MINUTES, TRAINING_MAX_HALF_DAYS
from civicsante.mandates.models import (
    ATTENDANCE_LABELS,
    ATTENDANCE_STATUSES,
    BASIC_TRAINING,
    OTHER_TRAINING,
)

TRAINING_KIND_LABELS = {BASIC_TRAINING: _l("Basic training of user representatives (2 days)"),
                        OTHER_TRAINING: _l("Other training")}


def _day(label, message):
    return DateField(label, validators=[InputRequired(message=message)])


class HoursForm(FlaskForm):
    worked_on = DateField(_l("Day"), default=paris_today, validators=[InputRequired(message=_l("Give the day."))])
    minutes = IntegerField(
        _l("Time spent (in minutes)"),
        validators=[InputRequired(message=_l("Give the time spent, in minutes.")),
                    NumberRange(min=1, max=MAX_MINUTES,
                                message=_l("Give a duration between 1 and %(max)s minutes.", max=MAX_MINUTES))])
    meeting_id = SelectField(_l("Meeting"), coerce=_optional_int, validate_choice=False)
    description = StringField(_l("What you did"), validators=[Optional(), Length(max=300)])


class LeaveForm(FlaskForm):
    mandate_id = SelectField(_l("Mandate"), coerce=_optional_int, validate_choice=False,
                             validators=[InputRequired(message=_l("Choose a mandate."))])
    absence_on = _day(_l("Day of the absence"), _l("Give the day of the absence."))
    half_days = IntegerField(
        _l("Number of half-days"),
        validators=[InputRequired(message=_l("Give a number of half-days.")),
                    NumberRange(min=1, message=_l("Give at least one half-day."))])
    requested_on = DateField(_l("Day you ask your employer"), default=paris_today,
                             validators=[InputRequired(message=_l("Give the day of the request."))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class TrainingForm(FlaskForm):
    kind = SelectField(_l("Kind of training"), choices=list(TRAINING_KIND_LABELS.items()),
                       validators=[InputRequired(message=_l("Choose a kind of training."))])
    title = StringField(_l("Title"), validators=[required(), Length(max=200)])
    organiser = StringField(_l("Organiser"), validators=[Optional(), Length(max=200)])
    starts_on = _day(_l("First day"), _l("Give the first day."))
    half_days = IntegerField(
        _l("Length (half-days)"), default=4,
        validators=[InputRequired(message=_l("Give the length in half-days.")),
                    NumberRange(min=1, max=TRAINING_MAX_HALF_DAYS,
                                message=_l("Give a number of half-days between 1 and %(max)s.",
                                           max=TRAINING_MAX_HALF_DAYS))])
    completed_on = DateField(_l("Completed on"), validators=[Optional()])


class IndemnityForm(FlaskForm):
    paid_on = _day(_l("Indemnity received on"), _l("Give the day the indemnity was paid."))


def _moment(label, *validators):
    return DateTimeLocalField(label, format=DATETIME_FORMAT, validators=list(validators))


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), Length(max=200)])
    starts_at = _moment(_l("Starts at"), InputRequired(message=_l("Give a date and a time.")))
    ends_at = _moment(_l("Ends at"), InputRequired(message=_l("Give a date and a time.")))
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    visio_url = StringField(_l("Video-conference link"), validators=[Optional(), Length(max=500)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=10000)])
    agenda_sent_at = _moment(_l("Agenda sent to the members on"), Optional())
    urgent = BooleanField(_l("Urgent meeting"))


class AttendanceForm(FlaskForm):
    mandate_id = SelectField(_l("Member"), coerce=_optional_int, validate_choice=False,
                             validators=[InputRequired(message=_l("Choose a member."))])
    status = SelectField(_l("Attendance"), choices=[(s, ATTENDANCE_LABELS[s]) for s in ATTENDANCE_STATUSES],
                         validators=[InputRequired(message=_l("Choose an attendance."))])


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=50000)])
