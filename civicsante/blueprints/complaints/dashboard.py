"""The deadlines dashboard of an establishment (issue 6, item 3), for its complaints office and
its CDU president: overdue first (the most overdue first), then what falls due this week, and the
number of complaints in each status. References and steps only: no complaint text here."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user, login_required

from civicsante.blueprints.complaints import bp
from civicsante.blueprints.rendering import paginate
from civicsante.complaints import dashboard as service
from civicsante.complaints import policy
from civicsante.complaints.deadlines import step_label
from civicsante.complaints.models import STATUS_LABELS
from civicsante.complaints.sessions import quarter_warning
from civicsante.extensions import db
from civicsante.mandates.vacancies import paris_today
from civicsante.reference.models import Establishment


@bp.get("/reclamations/etablissements/<int:establishment_id>/tableau-de-bord")
@login_required
def dashboard(establishment_id: int):
    establishment = db.get_or_404(Establishment, establishment_id)
    if not policy.can_view_dashboard(current_user, establishment.id):
        abort(403)
    today = paris_today()
    page = paginate(service.due_query(establishment.id, today))
    return render_template(
        "complaints/dashboard/index.html", establishment=establishment, page=page,
        rows=service.due_rows(page.items, today), counts=service.counts_by_status(establishment.id),
        overdue=service.overdue_count(establishment.id, today), today=today, status_labels=STATUS_LABELS,
        step_label=step_label, quarter_warning=quarter_warning(establishment.id, today),
        can_manage_sessions=policy.can_manage_sessions(current_user, establishment.id))
