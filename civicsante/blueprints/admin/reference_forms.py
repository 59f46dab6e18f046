"""Forms of the reference data screens. They only parse what was typed: the rules (unique codes,
tree levels, FINESS format…) live in ``civicsante.reference.services``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import required
from civicsante.reference.models import (
    APPROVAL_LEVELS,
    ESTABLISHMENT_KINDS,
    TERRITORY_KIND_LABELS,
    TERRITORY_KINDS,
)

ESTABLISHMENT_KIND_LABELS = {
    "centre_hospitalier": _l("Hospital (centre hospitalier)"),
    "chu": _l("University hospital (CHU)"),
    "clinique": _l("Private clinic"),
    "etablissement_psychiatrique": _l("Psychiatric establishment"),
    "ssr": _l("Medical and rehabilitation care (SMR)"),
    "ehpad": _l("Nursing home (EHPAD)"),
    "centre_de_sante": _l("Health centre"),
    "centre_de_sante_communautaire": _l("Community health centre"),
    "autre": _l("Other"),
}
APPROVAL_LEVEL_LABELS = {"national": _l("National"), "regional": _l("Regional")}


class TerritoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required()])
    code = StringField(_l("Code"), validators=[required()])
    kind = SelectField(_l("Level"), choices=[(k, TERRITORY_KIND_LABELS[k]) for k in TERRITORY_KINDS])
    parent_code = StringField(_l("Code of the parent territory (optional)"))


class EstablishmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required()])
    finess = StringField(_l("FINESS number"), validators=[required()])
    kind = SelectField(_l("Type"), choices=[(k, ESTABLISHMENT_KIND_LABELS[k]) for k in ESTABLISHMENT_KINDS])
    territory_code = StringField(_l("Code of its territory"), validators=[required()])


class AssociationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required()])
    approval_level = SelectField(_l("Approval level"), choices=[(a, APPROVAL_LEVEL_LABELS[a]) for a in APPROVAL_LEVELS])
    approval_number = StringField(_l("Approval number"), validators=[required()])
    # InputRequired, not DataRequired: a date typed wrongly keeps its own message.
    approval_expires_on = DateField(
        _l("Approval valid until"), validators=[InputRequired(message=_l("This field is required."))],
        invalid_value_message=_l("Enter a date such as 2029-06-30."),
    )
    territory_id = SelectField(_l("Region"), coerce=_optional_int, validate_choice=False)
