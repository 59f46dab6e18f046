"""Form pieces shared by every blueprint."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired

from civicsante.errors import DomainError


class EmptyForm(FlaskForm):
    """A one-button POST still carries the CSRF token."""


def required():
    return DataRequired(message=_l("This field is required."))


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal next to the field it concerns (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def form_status(form: FlaskForm) -> int:
    """422 when the form is shown again with errors, so clients and tests can tell."""
    return 422 if form.errors or form.form_errors else 200
