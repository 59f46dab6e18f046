"""Facilitators enter needs and supports on behalf of people met in person, by phone or on
paper (recorded as such, audit-logged by the services), and export their territory's needs."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from civicsante.accounts.models import User
from civicsante.blueprints.forms import form_status
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.needs import policy, services
from civicsante.needs.models import STATUS_LABELS
from civicsante.needs.search import filter_needs, visible_needs
from civicsante.reference.models import Territory

from . import bp
from .common import act, category_choices, facilitated_territory_choices, load_need
from .forms import NeedOnBehalfForm, SupportOnBehalfForm


def _person(identifier: str | None) -> User | None:
    """The account a facilitator names by e-mail address or pseudonym (None when left empty)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    person = db.session.execute(select(User).where(
        User.deleted_at.is_(None),
        or_(User.email == identifier.lower(), User.pseudonym_key == identifier.casefold()))).scalar_one_or_none()
    if person is None:
        raise DomainError(_l("No account has this e-mail address or pseudonym."), "person")
    return person


@bp.route("/besoins/saisie-assistee", methods=["GET", "POST"])
@login_required
def new_on_behalf():
    if not policy.facilitated_territory_paths(current_user):
        abort(403)
    form = NeedOnBehalfForm()
    form.category_id.choices = [("", _("Choose a category"))] + category_choices(str(get_locale()))
    form.territory_id.choices = [("", _("Choose a territory"))] + facilitated_territory_choices(current_user)
    created = {}

    def enter():
        created["need"] = services.submit_need_on_behalf(
            current_user, person=_person(form.person.data), assisted_name=form.assisted_name.data,
            assisted_contact=form.assisted_contact.data, channel=form.channel.data, title=form.title.data,
            description=form.description.data, category_id=form.category_id.data,
            territory_id=form.territory_id.data, public_concerned=form.public_concerned.data,
            consent=form.consent.data)

    if act(form, enter, done=_("The need is recorded. It is shown as collected at a drop-in session."),
           redirect_to=url_for("needs.index")) is None:
        return render_template("needs/new_on_behalf.html", form=form), form_status(form)
    return redirect(url_for("needs.detail", need_id=created["need"].id), 303)


@bp.route("/besoins/<int:need_id>/soutien-assiste", methods=["GET", "POST"])
@login_required
def support_on_behalf(need_id: int):
    need = load_need(need_id)
    if not policy.can_moderate(current_user, need):
        abort(403)
    form = SupportOnBehalfForm()
    return (act(form, lambda: services.support_on_behalf(
                    current_user, need, person=_person(form.person.data), assisted_name=form.assisted_name.data,
                    channel=form.channel.data, consent=form.consent.data),
                done=_("The support is recorded."), redirect_to=url_for("needs.detail", need_id=need.id))
            or (render_template("needs/support_on_behalf.html", form=form, need=need), form_status(form)))


# Export ---------------------------------------------------------------------------------------

# Spreadsheets run a cell starting with one of these as a formula: such cells get a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@bp.get("/besoins/export.csv")
@login_required
def export():
    """The territory's needs (sub-territories included) with their counts, for the facilitators
    of that territory. No personal data: no author, no description, no names."""
    territory = db.session.get(Territory, request.args.get("territory_id", type=int) or 0)
    if territory is None:
        abort(404)
    if not policy.can_moderate_territory(current_user, territory):
        abort(403)
    locale = str(get_locale())
    query = filter_needs(visible_needs(), territory_id=territory.id).execution_options(yield_per=500)
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet software reads the file as UTF-8
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Number"), _("Title"), _("Category"), _("Territory"), _("Status"), _("Supports"),
                     _("Comments"), _("Created on")])
    for need in db.session.execute(query).scalars():
        writer.writerow([need.id, _cell(need.title), _cell(need.category.label(locale)), _cell(need.territory.name),
                         STATUS_LABELS[need.status], need.supports_count, need.comments_count,
                         to_user_timezone(need.created_at).date().isoformat()])
    filename = f"besoins-{territory.code}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
