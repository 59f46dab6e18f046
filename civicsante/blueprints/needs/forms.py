"""Forms of the needs area. Choices that depend on the database (categories, territories, the
statuses a need may move to) are filled by the routes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import LongSelect, required
from civicsante.needs.models import CHANNEL_LABELS
from civicsante.needs.search import SORTS
from civicsante.needs.services import COMMENT_MAX, DESCRIPTION_MAX, TITLE_MAX

# Channels a facilitator records (online contributions are the residents' own).
ASSISTED_CHANNELS = [(code, CHANNEL_LABELS[code]) for code in ("permanence", "telephone", "papier")]
SORT_LABELS = {"recent": _l("Newest first"), "soutiens": _l("Most supported first")}
# Same message as the service's check, so the field shows one wording whichever refuses first.
CONSENT_MESSAGE = _l("Please confirm that your text does not identify anyone's health.")


class NeedFilterForm(FlaskForm):
    """The filters of the public list: a GET form, so the URL carries them (shareable, back
    button works)."""

    class Meta:
        csrf = False

    q = StringField(_l("Words"), validators=[Optional()])
    territory_id = SelectField(_l("Territory"), coerce=_optional_int, validate_choice=False,
                               widget=LongSelect())
    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False,
                              widget=LongSelect())
    status = SelectField(_l("Status"), validate_choice=False, widget=LongSelect())
    sort = SelectField(_l("Sort"), choices=[(s, SORT_LABELS[s]) for s in SORTS], validate_choice=False,
                       widget=LongSelect())


class _NeedFields(FlaskForm):
    title = StringField(_l("Title of the need"), validators=[required(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[required(), Length(max=DESCRIPTION_MAX)])
    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False,
                              validators=[required()])
    territory_id = SelectField(_l("Territory"), coerce=_optional_int, validate_choice=False,
                               widget=LongSelect(), validators=[required()])
    public_concerned = StringField(_l("People concerned"), validators=[Optional(), Length(max=200)])


class NeedForm(_NeedFields):
    consent = BooleanField(_l("My text identifies no one"), validators=[DataRequired(message=CONSENT_MESSAGE)])
    # "1" once the author has seen the similar needs and still wants to publish (no-JS step).
    confirmed = HiddenField()


class PersonFields(FlaskForm):
    """Who a facilitator enters a contribution for: an account, or a person without one."""

    person = StringField(_l("Their account: e-mail address or pseudonym"), validators=[Optional(), Length(max=254)])
    assisted_name = StringField(_l("Or, without an account: their name"), validators=[Optional(), Length(max=120)])
    channel = SelectField(_l("How it was collected"), choices=ASSISTED_CHANNELS)


class NeedOnBehalfForm(PersonFields, _NeedFields):
    assisted_contact = StringField(_l("Contact for follow-up"), validators=[Optional(), Length(max=200)])
    consent = BooleanField(_l("The person agrees to this need being recorded"),
                           validators=[DataRequired(message=_l("The person's consent is required."))])


class SupportOnBehalfForm(PersonFields):
    consent = BooleanField(
        _l("The person agrees to this support being recorded."),
        validators=[DataRequired(message=_l("The person must agree to this support being recorded."))])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[required(), Length(max=COMMENT_MAX)])


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong?"), validators=[required(), Length(max=500)])


class HideForm(FlaskForm):
    reason = TextAreaField(_l("Reason, shown publicly"), validators=[required(), Length(max=500)])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[required()])
    reason = TextAreaField(_l("Public explanation"), validators=[Optional(), Length(max=2000)])


class MergeForm(FlaskForm):
    target_id = SelectField(_l("Need to keep"), coerce=_optional_int, validate_choice=False,
                            validators=[required()])
    reason = TextAreaField(_l("Public explanation"), validators=[Optional(), Length(max=2000)])
