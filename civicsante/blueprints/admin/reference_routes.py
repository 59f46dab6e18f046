"""Admin screens for the reference data: territories, establishments, approved associations.

The blueprint's ``before_request`` already refuses non-admins (403). Each entity has a list, a
create form, an edit form and a delete confirmation; the three share ``_save`` and ``_confirm_delete``.
"""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civicsante.blueprints.admin import bp
from civicsante.blueprints.admin.reference_forms import (
    APPROVAL_LEVEL_LABELS,
    ESTABLISHMENT_KIND_LABELS,
    AssociationForm,
    EstablishmentForm,
    TerritoryForm,
)
from civicsante.blueprints.forms import EmptyForm, form_status, submit
from civicsante.blueprints.rendering import paginate, search
from civicsante.extensions import db
from civicsante.reference import services
from civicsante.reference.models import (
    TERRITORY_KIND_LABELS,
    TERRITORY_KINDS,
    Association,
    Establishment,
    Territory,
)


def _save(form, template: str, action, *, done: str, list_endpoint: str, **context):
    """Save through the service ``action`` and go back to the list, or show the form again."""
    return (submit(form, action, done=done, redirect_to=url_for(list_endpoint))
            or (render_template(template, form=form, **context), form_status(form)))


def _confirm_delete(obj, delete, *, label: str, done: str, list_endpoint: str):
    """The confirmation page (GET) and the deletion itself (POST). What still refers to the object
    is listed instead of the button; the service refuses the POST all the same."""
    form = EmptyForm()
    response = submit(form, lambda: delete(obj, by=current_user), done=done,
                      redirect_to=url_for(list_endpoint))
    return response or (render_template(
        "admin/confirm_delete.html", form=form, label=label, blockers=services.delete_blockers(obj),
        cancel_url=url_for(list_endpoint),
    ), form_status(form))


# Territories ----------------------------------------------------------------------------------

@bp.get("/territoires")
def territories():
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or ""
    # Tree order: a path sorts right after its ancestors' paths.
    query = select(Territory).options(joinedload(Territory.parent)).order_by(Territory.path)
    query = search(query, q, Territory.name, Territory.code)
    if kind in TERRITORY_KINDS:
        query = query.where(Territory.kind == kind)
    return render_template("admin/territories.html", page=paginate(query), q=q, kind=kind,
                           kind_labels=TERRITORY_KIND_LABELS)


def _territory_values(form: TerritoryForm) -> dict:
    return {
        "code": form.code.data, "name": form.name.data, "kind": form.kind.data,
        "parent": services.territory_by_code(form.parent_code.data, field="parent_code", required=False),
    }


@bp.route("/territoires/nouveau", methods=["GET", "POST"])
def new_territory():
    form = TerritoryForm()
    return _save(form, "admin/territory_form.html",
                 lambda: services.create_territory(**_territory_values(form), by=current_user),
                 done=_("Territory created."), list_endpoint="admin.territories", territory=None)


@bp.route("/territoires/<int:territory_id>/modifier", methods=["GET", "POST"])
def edit_territory(territory_id: int):
    territory = db.get_or_404(Territory, territory_id)
    form = TerritoryForm(obj=territory, parent_code=territory.parent.code if territory.parent else "")
    return _save(form, "admin/territory_form.html",
                 lambda: services.update_territory(territory, **_territory_values(form), by=current_user),
                 done=_("Territory saved."), list_endpoint="admin.territories", territory=territory)


@bp.route("/territoires/<int:territory_id>/supprimer", methods=["GET", "POST"])
def delete_territory(territory_id: int):
    territory = db.get_or_404(Territory, territory_id)
    return _confirm_delete(territory, services.delete_territory,
                   label=_("the territory %(name)s (%(code)s)", name=territory.name, code=territory.code),
                   done=_("Territory deleted."), list_endpoint="admin.territories")


# Establishments -------------------------------------------------------------------------------

@bp.get("/etablissements")
def establishments():
    q = (request.args.get("q") or "").strip()
    query = (select(Establishment).options(joinedload(Establishment.territory))
             .order_by(Establishment.name, Establishment.id))
    query = search(query, q, Establishment.name, Establishment.finess)
    return render_template("admin/establishments.html", page=paginate(query), q=q,
                           kind_labels=ESTABLISHMENT_KIND_LABELS)


def _establishment_values(form: EstablishmentForm) -> dict:
    return {
        "finess": form.finess.data, "name": form.name.data, "kind": form.kind.data,
        "territory": services.territory_by_code(form.territory_code.data, field="territory_code"),
    }


@bp.route("/etablissements/nouveau", methods=["GET", "POST"])
def new_establishment():
    form = EstablishmentForm()
    return _save(form, "admin/establishment_form.html",
                 lambda: services.create_establishment(**_establishment_values(form), by=current_user),
                 done=_("Establishment created."), list_endpoint="admin.establishments",
                 establishment=None)


@bp.route("/etablissements/<int:establishment_id>/modifier", methods=["GET", "POST"])
def edit_establishment(establishment_id: int):
    establishment = db.get_or_404(Establishment, establishment_id)
    form = EstablishmentForm(obj=establishment, territory_code=establishment.territory.code)
    return _save(form, "admin/establishment_form.html",
                 lambda: services.update_establishment(establishment, **_establishment_values(form),
                                                       by=current_user),
                 done=_("Establishment saved."), list_endpoint="admin.establishments",
                 establishment=establishment)


@bp.route("/etablissements/<int:establishment_id>/supprimer", methods=["GET", "POST"])
def delete_establishment(establishment_id: int):
    establishment = db.get_or_404(Establishment, establishment_id)
    return _confirm_delete(establishment, services.delete_establishment,
                   label=_("the establishment %(name)s (FINESS %(finess)s)", name=establishment.name,
                           finess=establishment.finess),
                   done=_("Establishment deleted."), list_endpoint="admin.establishments")


# Approved associations ------------------------------------------------------------------------

@bp.get("/associations")
def associations():
    q = (request.args.get("q") or "").strip()
    query = (select(Association).options(joinedload(Association.territory))
             .order_by(Association.name, Association.id))
    query = search(query, q, Association.name, Association.approval_number)
    return render_template("admin/associations.html", page=paginate(query), q=q,
                           level_labels=APPROVAL_LEVEL_LABELS)


def _association_form(association: Association | None = None) -> AssociationForm:
    form = AssociationForm(obj=association)
    form.territory_id.choices = [("", _("None (national approval)"))] + services.territory_choices("region")
    return form


def _association_values(form: AssociationForm) -> dict:
    territory_id = form.territory_id.data
    return {
        "name": form.name.data, "approval_level": form.approval_level.data,
        "approval_number": form.approval_number.data,
        "approval_expires_on": form.approval_expires_on.data,
        "territory": db.session.get(Territory, territory_id) if territory_id else None,
    }


@bp.route("/associations/nouveau", methods=["GET", "POST"])
def new_association():
    form = _association_form()
    return _save(form, "admin/association_form.html",
                 lambda: services.create_association(**_association_values(form), by=current_user),
                 done=_("Association created."), list_endpoint="admin.associations", association=None)


@bp.route("/associations/<int:association_id>/modifier", methods=["GET", "POST"])
def edit_association(association_id: int):
    association = db.get_or_404(Association, association_id)
    form = _association_form(association)
    return _save(form, "admin/association_form.html",
                 lambda: services.update_association(association, **_association_values(form),
                                                     by=current_user),
                 done=_("Association saved."), list_endpoint="admin.associations",
                 association=association)


@bp.route("/associations/<int:association_id>/supprimer", methods=["GET", "POST"])
def delete_association(association_id: int):
    association = db.get_or_404(Association, association_id)
    return _confirm_delete(association, services.delete_association,
                   label=_("the association %(name)s", name=association.name),
                   done=_("Association deleted."), list_endpoint="admin.associations")
