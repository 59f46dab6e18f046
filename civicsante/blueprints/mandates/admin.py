"""The admin's screens for mandates, under /admin/mandats/: instance types and their rules,
instances and their seats, association contacts (here), mandates from proposal to end
(admin_mandates.py, registered by the import at the end).

Every route: signed in (login), the object loaded or 404, ``policy.can_manage_mandates`` or 403,
one service, then a 303 or the page again with the errors next to their fields (422).
"""
from __future__ import annotations

from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from civicsante.accounts.models import User
from civicsante.blueprints.forms import EmptyForm, form_status, submit
from civicsante.blueprints.mandates import bp
from civicsante.blueprints.mandates.admin_forms import (
    ContactForm,
    InstanceForm,
    InstanceTypeForm,
    SeatForm,
)
from civicsante.blueprints.rendering import paginate, render_page_or_partial
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates import policy, services
from civicsante.mandates.models import (
    END_REASON_LABELS,
    HOLDING_STATUSES,
    MANDATE_STATUS_LABELS,
    RU_TITULAIRE,
    SEAT_KIND_LABELS,
    AssociationContact,
    Instance,
    InstanceType,
    Mandate,
    Seat,
)
from civicsante.reference.models import Association, Establishment, Territory
from civicsante.reference.services import establishment_choices, territory_choices

LABELS = {"seat_kind_labels": SEAT_KIND_LABELS, "status_labels": MANDATE_STATUS_LABELS,
          "end_reason_labels": END_REASON_LABELS}


def _require_admin() -> None:
    if not policy.can_manage_mandates(current_user):
        abort(403)


def _load(model, object_id: int):
    """The object or 404, then the admin check (403)."""
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    _require_admin()
    return found


def _person(email: str | None) -> User:
    email = (email or "").strip().lower()
    person = db.session.execute(
        select(User).where(User.email == email, User.deleted_at.is_(None))).scalar_one_or_none()
    if person is None:
        raise DomainError(_("No account has this e-mail address."), "email")
    return person


def _one_click(action, *, done: str, redirect_to: str):
    """A one-button POST: CSRF checked, the service run, its refusal flashed, back with 303."""
    if EmptyForm().validate_on_submit():
        try:
            action()
            db.session.commit()
            flash(done, "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(redirect_to, 303)


# Instance types ---------------------------------------------------------------------------------

@bp.get("/admin/mandats/types")
@login_required
def admin_instance_types():
    _require_admin()
    types = db.session.execute(select(InstanceType).order_by(InstanceType.name)).scalars().all()
    return render_template("mandates/admin/instance_types.html", types=types)


@bp.route("/admin/mandats/types/<int:type_id>", methods=["GET", "POST"])
@login_required
def admin_edit_instance_type(type_id: int):
    instance_type = _load(InstanceType, type_id)
    form = InstanceTypeForm(obj=instance_type)
    action = lambda: services.edit_instance_type(
        instance_type, **{name: form[name].data for name in (
            "name", "designating_authority", "term_months", "renewal_cap", "hours_per_month",
            "role_description", "training_offered")}, by=current_user)
    return (submit(form, action, done=_("Rules saved."), redirect_to=url_for("mandates.admin_instance_types"))
            or (render_template("mandates/admin/instance_type_form.html", form=form,
                                instance_type=instance_type), form_status(form)))


# Instances and seats ----------------------------------------------------------------------------

def _type_choices() -> list:
    return [(t.id, t.name) for t in db.session.execute(select(InstanceType).order_by(InstanceType.name)).scalars()]


@bp.get("/admin/mandats/instances")
@login_required
def admin_instances():
    _require_admin()
    type_id = request.args.get("type_id", type=int)
    territory_id = request.args.get("territory_id", type=int)
    query = (select(Instance).options(joinedload(Instance.territory), joinedload(Instance.establishment))
             .order_by(Instance.name, Instance.id))
    if type_id:
        query = query.where(Instance.type_id == type_id)
    territory = db.session.get(Territory, territory_id) if territory_id else None
    if territory is not None:  # the territory and everything inside it
        query = query.join(Territory, Territory.id == Instance.territory_id).where(
            Territory.path.startswith(territory.path, autoescape=True))
    page = paginate(query)
    return render_page_or_partial(
        "mandates/admin/instances.html", "mandates/admin/_instances_results.html", page=page,
        seat_figures=_seat_figures([i.id for i in page.items]), type_choices=_type_choices(),
        territory_choices=territory_choices(), type_id=type_id, territory_id=territory_id)


def _seat_figures(instance_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(seats, seats held today) per instance, in one query."""
    today = services.paris_today()
    held = (select(Mandate.seat_id).where(Mandate.status.in_(HOLDING_STATUSES), Mandate.starts_on <= today,
                                          Mandate.ends_on >= today).distinct().subquery())
    rows = db.session.execute(
        select(Seat.instance_id, func.count(Seat.id), func.count(held.c.seat_id))
        .outerjoin(held, held.c.seat_id == Seat.id).where(Seat.instance_id.in_(instance_ids))
        .group_by(Seat.instance_id))
    return {row[0]: (row[1], row[2]) for row in rows}


def _instance_form() -> InstanceForm:
    form = InstanceForm()
    form.type_id.choices = [("", _("Choose a type"))] + _type_choices()
    form.establishment_id.choices = [("", "—")] + establishment_choices()
    form.territory_id.choices = [("", "—")] + territory_choices()
    return form


def _get(model, object_id: int | None):
    """The object a select box names, or None when left empty."""
    return db.session.get(model, object_id) if object_id else None


def _create_instance(form: InstanceForm) -> Instance:
    instance = services.create_instance(
        type=_get(InstanceType, form.type_id.data), name=form.name.data,
        establishment=_get(Establishment, form.establishment_id.data),
        territory=_get(Territory, form.territory_id.data), by=current_user)
    if form.default_seats.data:
        services.create_default_seats(instance, by=current_user)
    return instance


@bp.route("/admin/mandats/instances/nouvelle", methods=["GET", "POST"])
@login_required
def admin_new_instance():
    _require_admin()
    form = _instance_form()
    created: list[Instance] = []
    response = submit(form, lambda: created.append(_create_instance(form)), done=_("Instance created."),
                      redirect_to="")
    if response is not None:
        return redirect(url_for("mandates.admin_instance", instance_id=created[0].id), 303)
    return render_template("mandates/admin/instance_form.html", form=form), form_status(form)


def _seat_form(instance: Instance) -> SeatForm:
    form = SeatForm()
    form.titulaire_seat_id.choices = [("", "—")] + [
        (s.id, s.label or str(SEAT_KIND_LABELS[s.kind])) for s in instance.seats if s.kind == RU_TITULAIRE]
    return form


def _instance_page(instance: Instance, seat_form: SeatForm | None = None):
    """The instance, its seats with their current holder and what comes next (two queries)."""
    today = services.paris_today()
    mandates = db.session.execute(
        select(Mandate).join(Seat, Seat.id == Mandate.seat_id).options(joinedload(Mandate.user))
        .where(Seat.instance_id == instance.id, Mandate.status.in_(services.LIVE_STATUSES),
               Mandate.ends_on >= today).order_by(Mandate.starts_on)).scalars().all()
    current, coming = {}, defaultdict(list)
    for mandate in mandates:
        if mandate.status in HOLDING_STATUSES and mandate.starts_on <= today:
            current[mandate.seat_id] = mandate
        else:
            coming[mandate.seat_id].append(mandate)
    with_history = set(db.session.execute(
        select(Mandate.seat_id).join(Seat, Seat.id == Mandate.seat_id)
        .where(Seat.instance_id == instance.id).distinct()).scalars())
    form = seat_form or _seat_form(instance)
    return render_template("mandates/admin/instance.html", instance=instance, current=current, coming=coming,
                           with_history=with_history, seat_form=form, **LABELS), form_status(form)


@bp.get("/admin/mandats/instances/<int:instance_id>")
@login_required
def admin_instance(instance_id: int):
    return _instance_page(_load(Instance, instance_id))


@bp.post("/admin/mandats/instances/<int:instance_id>/sieges")
@login_required
def admin_add_seat(instance_id: int):
    instance = _load(Instance, instance_id)
    form = _seat_form(instance)
    action = lambda: services.add_seat(
        instance, form.kind.data, form.label.data,
        _get(Seat, form.titulaire_seat_id.data), by=current_user)
    return (submit(form, action, done=_("Seat added."),
                   redirect_to=url_for("mandates.admin_instance", instance_id=instance.id))
            or _instance_page(instance, form))


@bp.post("/admin/mandats/instances/<int:instance_id>/sieges-legaux")
@login_required
def admin_default_seats(instance_id: int):
    instance = _load(Instance, instance_id)
    return _one_click(lambda: services.create_default_seats(instance, by=current_user), done=_("Seats created."),
                      redirect_to=url_for("mandates.admin_instance", instance_id=instance.id))


@bp.post("/admin/mandats/sieges/<int:seat_id>/supprimer")
@login_required
def admin_remove_seat(seat_id: int):
    seat = _load(Seat, seat_id)
    instance_id = seat.instance_id
    return _one_click(lambda: services.remove_seat(seat, by=current_user), done=_("Seat removed."),
                      redirect_to=url_for("mandates.admin_instance", instance_id=instance_id))


# Association contacts ---------------------------------------------------------------------------

@bp.get("/admin/mandats/associations")
@login_required
def admin_associations():
    _require_admin()
    page = paginate(select(Association).order_by(Association.name, Association.id))
    counts = dict(db.session.execute(
        select(AssociationContact.association_id, func.count()).group_by(AssociationContact.association_id)
        .where(AssociationContact.association_id.in_([a.id for a in page.items]))).all())
    return render_template("mandates/admin/associations.html", page=page, counts=counts,
                           today=services.paris_today())


def _contacts_page(association: Association, form: ContactForm):
    contacts = db.session.execute(
        select(AssociationContact).options(joinedload(AssociationContact.user))
        .where(AssociationContact.association_id == association.id).order_by(AssociationContact.created_at)
    ).scalars().all()
    return render_template("mandates/admin/association_contacts.html", association=association,
                           contacts=contacts, form=form), form_status(form)


@bp.route("/admin/mandats/associations/<int:association_id>", methods=["GET", "POST"])
@login_required
def admin_association_contacts(association_id: int):
    association = _load(Association, association_id)
    form = ContactForm()
    action = lambda: services.add_association_contact(
        association, _person(form.email.data), by=current_user)
    return (submit(form, action, done=_("Contact added."),
                   redirect_to=url_for("mandates.admin_association_contacts", association_id=association.id))
            or _contacts_page(association, form))


@bp.post("/admin/mandats/contacts/<int:contact_id>/retirer")
@login_required
def admin_remove_contact(contact_id: int):
    contact = _load(AssociationContact, contact_id)
    association_id = contact.association_id
    return _one_click(lambda: services.remove_association_contact(contact, by=current_user),
                      done=_("Contact removed."),
                      redirect_to=url_for("mandates.admin_association_contacts", association_id=association_id))


# The mandate screens share the loaders above.
from civicsante.blueprints.mandates import admin_mandates  # noqa: F401
