"""Forms of the vacant-seat board, the residents' interest and the associations' follow-up."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional

from civicsante.mandates.board import MESSAGE_MAX_LENGTH, NOTE_MAX_LENGTH
from civicsante.mandates.models import INTEREST_STATUS_LABELS, INTEREST_STATUSES


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class BoardFilterForm(FlaskForm):
    """The board's filters: a GET form, so the URL carries them (shareable, back button works)."""

    class Meta:
        csrf = False

    territory_id = SelectField(_l("Territory"), coerce=_optional_int, validate_choice=False)
    type = SelectField(_l("Kind of body"), validate_choice=False)


class InterestForm(FlaskForm):
    message = TextAreaField(_l("A word for the association"),
                            validators=[Optional(), Length(max=MESSAGE_MAX_LENGTH)])


class FollowUpForm(FlaskForm):
    status = SelectField(_l("Where you are with this person"),
                         choices=[(s, INTEREST_STATUS_LABELS[s]) for s in INTEREST_STATUSES])
    note = TextAreaField(_l("Note (seen only by the association contacts)"),
                         validators=[Optional(), Length(max=NOTE_MAX_LENGTH)])
