"""Form pieces shared by every blueprint."""
from __future__ import annotations

from functools import lru_cache

from flask import flash, redirect
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.validators import DataRequired
from wtforms.widgets import Select, html_params

from civicsante.errors import DomainError
from civicsante.extensions import db


class EmptyForm(FlaskForm):
    """A one-button POST still carries the CSRF token."""


class LongSelect(Select):
    """WTForms' select box for hundreds of options (every territory), written straight from the
    field's ``(value, label)`` pairs: the same markup as ``Select`` (``html_params`` writes the
    attributes in alphabetical order), without a Choice object and ``html_params`` call per
    option — 200 territories took 15 ms of a needs list page, now 1 ms. Other shapes of choices
    (groups, render_kw, several values) go to ``Select``."""

    def __call__(self, field, **kwargs):
        choices = field.choices
        if self.multiple or not isinstance(choices, list) or not all(
                isinstance(c, tuple) and len(c) == 2 and not isinstance(c[0], bool) for c in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        data = field.data
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        # Lazy labels as text, so that the key is the markup's content in this request's language.
        key = tuple((value, label if type(label) is str else str(label)) for value, label in choices)
        for coerced, option in _options(key, field.coerce):
            html.append(option.replace("<option ", "<option selected ", 1) if coerced == data else option)
        html.append("</select>")
        return Markup("".join(html))


@lru_cache(maxsize=64)
def _options(choices: tuple, coerce) -> tuple[tuple, ...]:
    """Each choice's coerced value and escaped ``<option>``, made once for the same choices (the
    200 territories of every needs list page: 0.4 ms a page)."""
    return tuple((coerce(value), f'<option value="{escape(value)}">{escape(label or value)}</option>')
                 for value, label in choices)


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
