from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import required

ROLE_LABELS = {
    "facilitator": _l("Facilitator"),
    "user_representative": _l("User representative"),
    "complaints_officer": _l("Complaints officer"),
    "mediator": _l("Mediator"),
    "admin": _l("Administrator"),
}


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()), validators=[required()])
    territory_id = SelectField(_l("Territory (for a facilitator)"), coerce=_optional_int, validate_choice=False)
    establishment_id = SelectField(
        _l("Establishment (for a complaints officer or a mediator)"), coerce=_optional_int,
        validate_choice=False,
    )
