"""Forms of the consultations area (the facilitator's tools). Choices that depend on the database
(territories, needs) are filled by the routes; the ballot itself is read by ``ballot_input``.

Phase dates are typed as Europe/Paris local date and time (what people read on posters) and
stored in UTC: ``paris_to_utc`` / ``utc_to_paris`` convert."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import required
from civicsante.consultations.models import (
    AFTER_CLOSE,
    LIVE,
    METHOD_LABELS,
    METHODS,
    MILESTONE_STATUS_LABELS,
    MILESTONE_STATUSES,
    OPEN,
    SECRET,
)
from civicsante.consultations.services import MAX_COPIES, TITLE_MAX

PARIS = ZoneInfo("Europe/Paris")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
PHASE_DATE_FIELDS = ("collect_starts_at", "deliberation_starts_at", "vote_starts_at", "vote_ends_at",
                     "followup_starts_at")

# What each method asks of the voter, in plain words (shown next to the radio button).
METHOD_EXPLANATIONS = {
    "single": _l("Each person chooses one priority. The one chosen most often comes first."),
    "approval": _l("Each person ticks every priority they agree with (possibly up to a maximum). "
                   "The most approved comes first."),
    "borda": _l("Each person ranks the priorities. A priority earns more points the higher it is "
                "ranked; the most points come first."),
    "schulze": _l("Each person ranks the priorities. Every pair of priorities is compared: the one "
                  "preferred to all the others by most voters comes first."),
    "points": _l("Each person shares out a budget of points between the priorities as they wish. "
                 "The most points come first."),
    "majority_judgment": _l("Each person gives every priority a grade, from “to reject” to "
                            "“excellent”. Priorities are ranked by their median grade."),
}
SECRECY_LABELS = {
    SECRET: _l("Secret ballot: only the fact that a person voted is kept, never what they voted; "
               "the ballot cannot be changed."),
    OPEN: _l("Open ballot: the ballot stays linked to the voter, who may change it until the "
             "vote closes."),
}
VISIBILITY_LABELS = {
    LIVE: _l("Live: results are shown while the vote is open."),
    AFTER_CLOSE: _l("After the close: nobody sees any figure before the vote closes."),
}


def paris_to_utc(value: datetime | None) -> datetime | None:
    """A naive Europe/Paris wall-clock time (from a date+time input) as an aware UTC datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=PARIS).astimezone(UTC)


def utc_to_paris(value: datetime | None) -> datetime | None:
    """An aware UTC datetime as the naive Europe/Paris wall-clock time a date+time input shows."""
    if value is None:
        return None
    return value.astimezone(PARIS).replace(tzinfo=None, second=0, microsecond=0)


def paris_today():
    return datetime.now(PARIS).date()


def _phase_date(label):
    return DateTimeLocalField(label, format=DATETIME_FORMAT,
                              validators=[InputRequired(message=_l("Give a date and a time."))])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConsultationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    territory_id = SelectField(_l("Territory"), coerce=_optional_int, validate_choice=False,
                               validators=[required()])
    method = RadioField(_l("Voting method"), choices=[(m, METHOD_LABELS[m]) for m in METHODS],
                        validators=[DataRequired(message=_l("Choose a voting method."))])
    max_approvals = IntegerField(_l("Approval vote: how many priorities each person may approve at most"),
                                 validators=[Optional(), NumberRange(min=1, message=_l("At least 1."))])
    points_budget = IntegerField(_l("Sharing out points: the points each person shares out"),
                                 validators=[Optional(), NumberRange(min=1, message=_l("At least 1."))])
    grade_labels = TextAreaField(_l("Majority judgment: the grades, one per line, the worst first"),
                                 validators=[Optional(), Length(max=1000)])
    secrecy = RadioField(_l("Ballot secrecy"), choices=list(SECRECY_LABELS.items()),
                         validators=[DataRequired(message=_l("Choose whether ballots are secret."))])
    results_visibility = RadioField(_l("When results are shown"), choices=list(VISIBILITY_LABELS.items()),
                                    validators=[DataRequired(message=_l("Choose when results are shown."))])
    collect_starts_at = _phase_date(_l("Collection of needs opens"))
    deliberation_starts_at = _phase_date(_l("Deliberation opens"))
    vote_starts_at = _phase_date(_l("Vote opens"))
    vote_ends_at = _phase_date(_l("Vote closes (results published)"))
    followup_starts_at = _phase_date(_l("Follow-up starts"))

    def grade_label_list(self) -> list[str]:
        return [line.strip() for line in (self.grade_labels.data or "").splitlines() if line.strip()]

    def utc_dates(self) -> dict[str, datetime | None]:
        return {name: paris_to_utc(getattr(self, name).data) for name in PHASE_DATE_FIELDS}


class PriorityForm(FlaskForm):
    title = StringField(_l("Title of the priority"), validators=[required(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Short text"), validators=[Optional(), Length(max=2000)])
    need_ids = MultiCheckboxField(_l("Needs it answers"), coerce=int, validate_choice=False)


class PaperBatchForm(FlaskForm):
    place = StringField(_l("Where the ballots were collected"), validators=[required(), Length(max=200)])
    collected_on = DateField(_l("Collection date"),
                             validators=[InputRequired(message=_l("Give the date the ballots were collected."))])
    declared_count = IntegerField(
        _l("Number of ballots in the batch"),
        validators=[InputRequired(message=_l("Give the number of ballots in the batch.")),
                    NumberRange(min=1, max=100000, message=_l("Give the number of ballots in the batch."))])


class PaperBallotForm(FlaskForm):
    """The ballot's own fields come from ``_ballot_fields.html``, read by ``ballot_input``."""

    copies = IntegerField(
        _l("Number of identical ballots"), default=1,
        validators=[InputRequired(message=_l("Give the number of identical ballots.")),
                    NumberRange(min=1, max=MAX_COPIES,
                                message=_l("The number of identical ballots must be between 1 and 1000."))])


class AssistedBallotForm(FlaskForm):
    person = StringField(_l("The person's account: e-mail address or pseudonym"),
                         validators=[required(), Length(max=254)])
    consent = BooleanField(
        _l("The person asked for this assisted vote and approved its content"),
        validators=[DataRequired(message=_l("The person must have asked for this vote and approved it."))])


class MilestoneForm(FlaskForm):
    happened_on = DateField(_l("Date"), default=paris_today,
                            validators=[InputRequired(message=_l("Give the date of this step."))])
    text = TextAreaField(_l("What was done"), validators=[required(), Length(max=5000)])
    status = RadioField(_l("Status"), choices=[(s, MILESTONE_STATUS_LABELS[s]) for s in MILESTONE_STATUSES],
                        validators=[DataRequired(message=_l("Choose a status."))])
    reason = TextAreaField(_l("Reason for abandoning it"), validators=[Optional(), Length(max=2000)])
    progress = IntegerField(_l("Progress (%)"), default=0,
                            validators=[InputRequired(message=_l("The progress is a percentage between 0 and 100.")),
                                        NumberRange(min=0, max=100,
                                                    message=_l("The progress is a percentage between 0 and 100."))])


class NeedSearchForm(FlaskForm):
    """The GET search among the territory's needs on the new-priority page."""

    class Meta:
        csrf = False

    q = StringField(_l("Search the needs"), validators=[Optional()])
