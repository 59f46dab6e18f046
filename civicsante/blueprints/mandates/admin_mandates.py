"""The admin's mandate screens, under /admin/mandats/mandats/: the list with its filters, the
proposal (from an instance's seat), the mandate's page with its next steps: designate, activate,
end, renew, CDU office. Same shape as admin.py, whose loaders they use."""
from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civicsante.audit import AuditEntry
from civicsante.blueprints.forms import form_status, submit
from civicsante.blueprints.mandates import bp
from civicsante.blueprints.mandates.admin import (
    LABELS,
    _get,
    _load,
    _one_click,
    _person,
    _require_admin,
    _type_choices,
)
from civicsante.blueprints.mandates.admin_forms import (
    STATUS_CHOICES,
    DesignateForm,
    EndForm,
    MandateForm,
    OfficeForm,
)
from civicsante.blueprints.rendering import paginate, render_page_or_partial
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates import services
from civicsante.mandates.models import (
    MANDATE_STATUSES,
    SEAT_KIND_LABELS,
    Instance,
    Mandate,
    Seat,
)
from civicsante.reference.models import Association

# The steps of a mandate as its history shows them (the audit log's actions).
HISTORY_LABELS = {
    "mandate.propose": _l("Proposed"), "mandate.designate": _l("Designated"),
    "mandate.activate": _l("Became active"), "mandate.end": _l("Ended"),
    "mandate.set_office": _l("Office changed"),
}

@bp.get("/admin/mandats/mandats")
@login_required
def admin_mandates():
    _require_admin()
    status = request.args.get("status") or ""
    type_id = request.args.get("type_id", type=int)
    ending_raw = (request.args.get("ending_before") or "").strip()
    ending_before, ending_error = None, None
    if ending_raw:
        try:
            ending_before = date.fromisoformat(ending_raw)
        except ValueError:
            ending_error = _("Enter a date such as 2027-01-14.")
    query = (select(Mandate).join(Seat, Seat.id == Mandate.seat_id).join(Instance, Instance.id == Seat.instance_id)
             .options(joinedload(Mandate.user), joinedload(Mandate.association),
                      joinedload(Mandate.seat).joinedload(Seat.instance))
             .order_by(Mandate.ends_on, Mandate.id))
    if status in MANDATE_STATUSES:
        query = query.where(Mandate.status == status)
    if type_id:
        query = query.where(Instance.type_id == type_id)
    if ending_before:
        query = query.where(Mandate.ends_on <= ending_before)
    return render_page_or_partial(
        "mandates/admin/mandates.html", "mandates/admin/_mandates_results.html", page=paginate(query),
        status=status, type_id=type_id, ending_before=ending_raw, ending_error=ending_error,
        status_choices=STATUS_CHOICES, type_choices=_type_choices(), **LABELS)


def _mandate_form(instance: Instance) -> MandateForm:
    form = MandateForm()
    if request.method == "GET" and request.args.get("seat_id", type=int):
        form.seat_id.data = request.args.get("seat_id", type=int)
    form.seat_id.choices = [("", _("Choose a seat"))] + [
        (s.id, f"{SEAT_KIND_LABELS[s.kind]} — {s.label}" if s.label else str(SEAT_KIND_LABELS[s.kind]))
        for s in instance.seats]
    associations = db.session.execute(select(Association).order_by(Association.name)).scalars()
    form.association_id.choices = [("", "—")] + [
        (a.id, _("%(name)s (approval valid until %(date)s)", name=a.name,
                 date=a.approval_expires_on.strftime("%d/%m/%Y"))) for a in associations]
    return form


def _propose(form: MandateForm, instance: Instance) -> Mandate:
    seat = _get(Seat, form.seat_id.data)
    if seat is None or seat.instance_id != instance.id:
        raise DomainError(_("Choose a seat of this instance."), "seat_id")
    return services.propose_mandate(
        seat=seat, user=_person(form.email.data),
        association=_get(Association, form.association_id.data),
        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        designation_authority=form.designation_authority.data, designation_reference=form.designation_reference.data,
        designation_date=form.designation_date.data, by=current_user)


@bp.route("/admin/mandats/instances/<int:instance_id>/proposer", methods=["GET", "POST"])
@login_required
def admin_propose_mandate(instance_id: int):
    instance = _load(Instance, instance_id)
    form = _mandate_form(instance)
    created: list[Mandate] = []
    if submit(form, lambda: created.append(_propose(form, instance)), done=_("Mandate proposed."), redirect_to=""):
        return redirect(url_for("mandates.admin_mandate", mandate_id=created[0].id), 303)
    return render_template("mandates/admin/mandate_form.html", form=form, instance=instance), form_status(form)


def _mandate_page(mandate: Mandate, **forms):
    """The mandate, its designation, its history in the audit log, and the forms of its next steps."""
    # The audit log is indexed by action, not by object: naming the actions keeps this off a full scan.
    history = db.session.execute(
        select(AuditEntry).where(AuditEntry.action.in_(list(HISTORY_LABELS)), AuditEntry.object_type == "mandate",
                                 AuditEntry.object_id == str(mandate.id))
        .order_by(AuditEntry.id)).scalars().all()
    renewed_by = db.session.execute(select(Mandate).where(Mandate.renews_id == mandate.id)).scalars().first()
    # The forms not submitted show the mandate's values (formdata=None: not the POSTed ones).
    forms = {"designate_form": DesignateForm(formdata=None, authority=mandate.designation_authority,
                                             reference=mandate.designation_reference,
                                             designation_date=mandate.designation_date),
             "end_form": EndForm(formdata=None,
                                 ended_on=min(mandate.ends_on, max(mandate.starts_on, services.paris_today()))),
             "office_form": OfficeForm(formdata=None, president=mandate.is_president,
                                       vice_president=mandate.is_vice_president),
             **forms}
    status = max((form_status(f) for f in forms.values()), default=200)
    return render_template("mandates/admin/mandate.html", mandate=mandate, history=history, renewed_by=renewed_by,
                           history_labels=HISTORY_LABELS, today=services.paris_today(),
                           has_errors=status == 422, **forms, **LABELS), status


@bp.get("/admin/mandats/mandats/<int:mandate_id>")
@login_required
def admin_mandate(mandate_id: int):
    return _mandate_page(_load(Mandate, mandate_id))


def _mandate_step(mandate: Mandate, form_name: str, form, action, done: str):
    return (submit(form, action, done=done, redirect_to=url_for("mandates.admin_mandate", mandate_id=mandate.id))
            or _mandate_page(mandate, **{form_name: form}))


@bp.post("/admin/mandats/mandats/<int:mandate_id>/designer")
@login_required
def admin_designate(mandate_id: int):
    mandate = _load(Mandate, mandate_id)
    form = DesignateForm()
    return _mandate_step(mandate, "designate_form", form, lambda: services.designate(
        mandate, authority=form.authority.data, reference=form.reference.data,
        designation_date=form.designation_date.data, by=current_user), _("Designation recorded."))


@bp.post("/admin/mandats/mandats/<int:mandate_id>/terminer")
@login_required
def admin_end_mandate(mandate_id: int):
    mandate = _load(Mandate, mandate_id)
    form = EndForm()
    return _mandate_step(mandate, "end_form", form, lambda: services.end_mandate(
        mandate, reason=form.reason.data, ended_on=form.ended_on.data, by=current_user), _("Mandate ended."))


@bp.post("/admin/mandats/mandats/<int:mandate_id>/fonction")
@login_required
def admin_set_office(mandate_id: int):
    mandate = _load(Mandate, mandate_id)
    form = OfficeForm()
    return _mandate_step(mandate, "office_form", form, lambda: services.set_office(
        mandate, president=form.president.data, vice_president=form.vice_president.data, by=current_user),
        _("Office saved."))


@bp.post("/admin/mandats/mandats/<int:mandate_id>/activer")
@login_required
def admin_activate(mandate_id: int):
    mandate = _load(Mandate, mandate_id)
    return _one_click(lambda: services.activate(mandate, current_user), done=_("Mandate active."),
                      redirect_to=url_for("mandates.admin_mandate", mandate_id=mandate.id))


@bp.post("/admin/mandats/mandats/<int:mandate_id>/renouveler")
@login_required
def admin_renew(mandate_id: int):
    mandate = _load(Mandate, mandate_id)
    created: list[Mandate] = []
    response = _one_click(lambda: created.append(services.renew_mandate(mandate, by=current_user)),
                          done=_("Renewal proposed."),
                          redirect_to=url_for("mandates.admin_mandate", mandate_id=mandate.id))
    return redirect(url_for("mandates.admin_mandate", mandate_id=created[0].id), 303) if created else response
