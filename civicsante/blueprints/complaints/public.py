"""Filing a complaint online and the complainant's own file (issue 6, items 1 and 5): the page
that explains what a complaint is and what follows, the filing form, its acknowledgement, and the
plain-French timeline. Only the complainant reads their file here (audited reads)."""
from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from civicsante.accounts.models import COMPLAINTS_OFFICER
from civicsante.blueprints.complaints import bp
from civicsante.blueprints.complaints.intake_forms import FileComplaintForm
from civicsante.blueprints.complaints.loading import complaint_or_403
from civicsante.blueprints.forms import form_status, submit
from civicsante.blueprints.rendering import paginate
from civicsante.complaints import attachments as attachment_store
from civicsante.complaints import intake, policy, timeline
from civicsante.complaints.models import STATUS_LABELS, Complaint
from civicsante.db import writes_on_read
from civicsante.extensions import db, limiter
from civicsante.reference.models import Establishment
from civicsante.reference.services import establishment_choices

# Signed-in people only, but a complaint sets the office and its deadlines going: a script must
# not flood an establishment (RATELIMIT_COMPLAINT_FILING, when set, replaces it).
FILING_RATE_LIMIT = "5 per minute;20 per day"


def request_size_limit() -> int:
    """The largest request a form with attachments may send: every file at its maximum, plus
    room for the text fields. Larger bodies are refused (413) before they are read."""
    return attachment_store.max_bytes() * attachment_store.max_count() + 1024 * 1024


def uploaded_files(form) -> list[tuple[str, bytes]]:
    return attachment_store.read_request_files(form.attachments.data)


@bp.get("/reclamations")
def index():
    mine = None
    if current_user.is_authenticated:
        mine = paginate(select(Complaint).options(selectinload(Complaint.establishment))
                        .where(Complaint.complainant_id == current_user.id)
                        .order_by(Complaint.received_at.desc(), Complaint.id.desc()))
    return render_template("complaints/public/index.html", mine=mine, status_labels=STATUS_LABELS,
                           offices=_offices_of(current_user))


def _offices_of(user) -> list[Establishment]:
    """The establishments whose complaints office ``user`` is: they register complaints there."""
    if not user.is_authenticated:
        return []
    ids = [a.establishment_id for a in user.roles if a.role == COMPLAINTS_OFFICER and a.establishment_id]
    if not ids:
        return []
    return list(db.session.execute(select(Establishment).where(Establishment.id.in_(ids))
                                   .order_by(Establishment.name)).scalars())


@bp.route("/reclamations/nouvelle", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config.get("RATELIMIT_COMPLAINT_FILING", FILING_RATE_LIMIT), methods=["POST"])
def new():
    if not policy.can_file_complaint(current_user):
        abort(403)
    request.max_content_length = request_size_limit()
    form = FileComplaintForm()
    form.establishment_id.choices = [("", _("Choose the establishment"))] + establishment_choices()
    if request.method == "GET" and request.args.get("etablissement", type=int):
        form.establishment_id.data = request.args.get("etablissement", type=int)
    done = submit(form, lambda: intake.file_online(
        establishment=db.session.get(Establishment, form.establishment_id.data),
        complainant=current_user, facts=form.facts.data, occurred_on=form.occurred_on.data,
        service_concerned=form.service_concerned.data, expectations=form.expectations.data,
        relation=form.relation.data, patient_hospitalised=form.patient_hospitalised.data,
        discharge_expected_on=form.discharge_expected_on.data,
        medical_details=form.medical_details.data, attachments=uploaded_files(form), by=current_user),
        done=None, redirect_to=lambda complaint: url_for("complaints.acknowledgement", complaint_id=complaint.id))
    return done or (render_template("complaints/public/new.html", form=form, **attachment_store.limits()),
                    form_status(form))


@bp.get("/reclamations/mes-reclamations/<int:complaint_id>/accuse-reception")
@login_required
@writes_on_read
def acknowledgement(complaint_id: int):
    complaint = complaint_or_403(complaint_id, allowed=policy.can_view_own_complaint, part="acknowledgement")
    return render_template("complaints/public/acknowledgement.html", complaint=complaint,
                           next_step=timeline.next_step(complaint),
                           attachments=attachment_store.attachments_of(complaint))


@bp.get("/reclamations/mes-reclamations/<int:complaint_id>")
@login_required
@writes_on_read
def my_complaint(complaint_id: int):
    complaint = complaint_or_403(complaint_id, allowed=policy.can_view_own_complaint, part="timeline")
    return render_template("complaints/public/timeline.html", complaint=complaint,
                           steps=timeline.steps(complaint), next_step=timeline.next_step(complaint),
                           attachments=attachment_store.attachments_of(complaint), status_labels=STATUS_LABELS)
