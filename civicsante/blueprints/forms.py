"""Form pieces shared by every blueprint."""
from __future__ import annotations

from flask import flash, redirect
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired

from civicsante.errors import DomainError
from civicsante.extensions import db


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


def submit(form: FlaskForm, action, *, done: str | None, redirect_to: str):
    """Run the use case behind a form: validate, call ``action`` (the service), commit, flash
    ``done`` and redirect with 303. Answers None when validation fails or the service refuses
    (the transaction is rolled back and the message put next to its field): the route then shows
    the form again, with what was typed, and ``form_status(form)``. ``done`` and ``redirect_to``
    may also be functions of what ``action`` returned (e.g. the page of the object it made)."""
    if not form.validate_on_submit():
        return None
    try:
        result = action()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return None
    if callable(done):
        done = done(result)
    if done:
        flash(done, "success")
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to, 303)


def form_status(form: FlaskForm) -> int:
    """422 when the form is shown again with errors, so clients and tests can tell."""
    return 422 if form.errors or form.form_errors else 200
