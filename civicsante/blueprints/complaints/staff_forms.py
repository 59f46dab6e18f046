"""Forms of the complaint file's lifecycle (one per service of civicsante.complaints.lifecycle) and
of CDU sessions. Choices that depend on the database (categories, mediators, sessions, members) are
filled by the routes. Times are typed as Europe/Paris wall-clock time and stored in UTC."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.consultations.forms import DATETIME_FORMAT
from civicsante.blueprints.forms import required
from civicsante.complaints.models import (
    MEETING_OUTCOMES,
    NATURE_LABELS,
    NATURES,
    OPINION_KINDS,
    OPINION_LABELS,
    OUT_OF_SCOPE_KINDS,
    OUT_OF_SCOPE_LABELS,
    STATUS_LABELS,
)

TEXT_MAX = 20000


def _moment(label, *validators):
    return DateTimeLocalField(label, format=DATETIME_FORMAT, validators=list(validators))


def _choose(message):
    return InputRequired(message=message)


class QualifyForm(FlaskForm):
    nature = SelectField(_l("Nature of the complaint"), choices=[(n, NATURE_LABELS[n]) for n in NATURES],
                         validators=[_choose(_l("Choose the nature of the complaint."))])
    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False,
                              validators=[_choose(_l("Choose a category."))])


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Answer of the legal representative"), validators=[required(), Length(max=TEXT_MAX)])


class ReferForm(FlaskForm):
    medical_mediator = SelectField(_l("Medical mediator"), coerce=_optional_int, validate_choice=False)
    non_medical_mediator = SelectField(_l("Non-medical mediator"), coerce=_optional_int, validate_choice=False)


class ScheduleMediationForm(FlaskForm):
    meeting_at = _moment(_l("Meeting on"), InputRequired(message=_l("Give a date and a time.")))
    place = StringField(_l("Place"), validators=[required(), Length(max=300)])
    accompanying_mandate_id = SelectField(_l("Accompanied by a user representative of the CDU"),
                                          coerce=_optional_int, validate_choice=False)


MEETING_OUTCOME_LABELS = {o: STATUS_LABELS[o] for o in MEETING_OUTCOMES}


class RecordMeetingForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=[(o, MEETING_OUTCOME_LABELS[o]) for o in MEETING_OUTCOMES],
                          validators=[_choose(_l("Choose the outcome."))])
    held_at = _moment(_l("Held (or found refused or impossible) on"),
                      InputRequired(message=_l("Give a date and a time.")))
    note = TextAreaField(_l("Internal note"), validators=[Optional(), Length(max=TEXT_MAX)])


class ReportForm(FlaskForm):
    text = TextAreaField(_l("Mediator's report"), validators=[required(), Length(max=TEXT_MAX)])


class AgendaForm(FlaskForm):
    meeting = SelectField(_l("CDU session"), coerce=_optional_int, validate_choice=False,
                             validators=[_choose(_l("Choose a session."))])


class OpinionForm(FlaskForm):
    kind = SelectField(_l("Opinion"), choices=[(k, OPINION_LABELS[k]) for k in OPINION_KINDS],
                       validators=[_choose(_l("Choose the kind of opinion."))])
    text = TextAreaField(_l("Text of the opinion"), validators=[required(), Length(max=TEXT_MAX)])
    meeting = SelectField(_l("Session that examined it"), coerce=_optional_int, validate_choice=False,
                             validators=[_choose(_l("Choose a session."))])
    recommendations = TextAreaField(_l("Recommendations, one per line"), validators=[Optional(), Length(max=TEXT_MAX)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Reply of the legal representative"), validators=[required(), Length(max=TEXT_MAX)])


class OutOfScopeForm(FlaskForm):
    kind = SelectField(_l("Why it is out of the CDU's scope"),
                       choices=[(k, OUT_OF_SCOPE_LABELS[k]) for k in OUT_OF_SCOPE_KINDS],
                       validators=[_choose(_l("Choose why."))])
    note = TextAreaField(_l("Routes of appeal given to the person"), validators=[required(), Length(max=TEXT_MAX)])


class DelegateForm(FlaskForm):
    note = TextAreaField(_l("Note for the CDSP"), validators=[required(), Length(max=TEXT_MAX)])


# CDU sessions -----------------------------------------------------------------------------------

class SessionAgendaForm(FlaskForm):
    complaint_id = SelectField(_l("Complaint awaiting examination"), coerce=_optional_int, validate_choice=False,
                               validators=[_choose(_l("Choose a complaint."))])


class RecusalForm(FlaskForm):
    item_id = SelectField(_l("Complaint on the agenda"), coerce=_optional_int, validate_choice=False,
                          validators=[_choose(_l("Choose a complaint."))])
    mandate_id = SelectField(_l("Member concerned"), coerce=_optional_int, validate_choice=False,
                             validators=[_choose(_l("Choose a member."))])
    reason = StringField(_l("Why they do not sit"), validators=[Optional(), Length(max=300)])
