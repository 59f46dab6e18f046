from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from civicsante.accounts import policy, services
from civicsante.accounts.models import RoleAssignment, User
from civicsante.audit import AuditEntry
from civicsante.blueprints.admin import bp
from civicsante.blueprints.admin.forms import ROLE_LABELS, GrantRoleForm
from civicsante.blueprints.forms import EmptyForm, form_status, submit
from civicsante.blueprints.rendering import paginate, render_page_or_partial, search
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.reference.services import establishment_choices, territory_choices


@bp.before_request
@login_required
def _require_admin():
    if not policy.is_admin(current_user):
        abort(403)


@bp.get("/")
def index():
    return render_template("admin/index.html")


@bp.get("/utilisateurs")
def users():
    q = (request.args.get("q") or "").strip()
    query = search(select(User).where(User.deleted_at.is_(None)).order_by(User.pseudonym_key),
                   q, User.pseudonym_key, User.email)
    page = paginate(query)
    return render_page_or_partial("admin/users.html", "admin/_users_results.html",
                                  page=page, q=q, role_labels=ROLE_LABELS)


def _grant_form() -> GrantRoleForm:
    form = GrantRoleForm()
    form.territory_id.choices = [("", "—")] + territory_choices()
    form.establishment_id.choices = [("", "—")] + establishment_choices()
    return form


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not policy.can_view_user(current_user, user):
        abort(404)
    return user


@bp.get("/utilisateurs/<int:user_id>")
def user_detail(user_id: int):
    user = _load_user(user_id)
    return render_template("admin/user_detail.html", user=user, form=_grant_form(),
                           role_labels=ROLE_LABELS)


@bp.post("/utilisateurs/<int:user_id>/roles")
def grant_role(user_id: int):
    user = _load_user(user_id)
    form = _grant_form()
    scope = services.RoleScope(form.territory_id.data, form.establishment_id.data)
    return (submit(form, lambda: services.grant_role(user, form.role.data, scope, by=current_user),
                   done=_("Role granted."), redirect_to=url_for("admin.user_detail", user_id=user.id))
            or (render_template("admin/user_detail.html", user=user, form=form, role_labels=ROLE_LABELS),
                form_status(form)))


@bp.post("/roles/<int:assignment_id>/retirer")
def revoke_role(assignment_id: int):
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None:
        abort(404)
    user_id = assignment.user_id
    if EmptyForm().validate_on_submit():
        try:
            services.revoke_role(assignment, by=current_user)
            db.session.commit()
            flash(_("Role revoked."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(url_for("admin.user_detail", user_id=user_id), 303)


@bp.get("/journal")
def audit_log():
    if not policy.can_read_audit_log(current_user):
        abort(403)
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    action = (request.args.get("action") or "").strip()
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    page = paginate(query, per_page=50)
    return render_template("admin/audit_log.html", page=page, action=action)
