"""The complaints office's intake (issue 6, item 1): registering a complaint received by letter,
e-mail, phone or in person (R1112-91, the copy handed over when written down for the person), its
acknowledgement to hand or send, and recording the patient's consent to the medical part
(L1112-3)."""
from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civicsante.blueprints.complaints import bp
from civicsante.blueprints.complaints.intake_forms import ConsentForm, RegisterComplaintForm
from civicsante.blueprints.complaints.loading import complaint_or_403
from civicsante.blueprints.complaints.public import request_size_limit, uploaded_files
from civicsante.blueprints.forms import form_status, submit
from civicsante.complaints import attachments as attachment_store
from civicsante.complaints import intake, policy, timeline
from civicsante.complaints.models import CHANNEL_LABELS, MedicalPart
from civicsante.db import writes_on_read
from civicsante.extensions import db
from civicsante.reference.models import Establishment


def _staff_file_url(complaint) -> str | None:
    """The complaint file of the staff pages, once helper C's route exists."""
    if "complaints.staff_complaint" in current_app.view_functions:
        return url_for("complaints.staff_complaint", complaint_id=complaint.id)
    return None


@bp.route("/reclamations/etablissements/<int:establishment_id>/enregistrer", methods=["GET", "POST"])
@login_required
def register(establishment_id: int):
    establishment = db.get_or_404(Establishment, establishment_id)
    if not policy.can_register_complaint(current_user, establishment.id):
        abort(403)
    request.max_content_length = request_size_limit()
    form = RegisterComplaintForm()
    done = submit(form, lambda: intake.register(
        establishment=establishment, channel=form.channel.data,
        complainant_name=form.complainant_name.data, complainant_contact=form.complainant_contact.data,
        written_down_for_person=form.written_down_for_person.data,
        copy_handed_over=form.copy_handed_over.data, facts=form.facts.data,
        occurred_on=form.occurred_on.data, service_concerned=form.service_concerned.data,
        expectations=form.expectations.data, relation=form.relation.data,
        patient_hospitalised=form.patient_hospitalised.data,
        discharge_expected_on=form.discharge_expected_on.data, received_on=form.received_on.data,
        medical_details=form.medical_details.data, attachments=uploaded_files(form), by=current_user),
        done=lambda complaint: _("Complaint %(reference)s registered and acknowledged.",
                                 reference=complaint.reference),
        redirect_to=lambda complaint: url_for("complaints.registered", complaint_id=complaint.id))
    return done or (render_template("complaints/office/register.html", form=form, establishment=establishment,
                                    **attachment_store.limits()), form_status(form))


@bp.get("/reclamations/<int:complaint_id>/enregistree")
@login_required
@writes_on_read
def registered(complaint_id: int):
    """The acknowledgement the office hands over or sends to the person (printable)."""
    complaint = complaint_or_403(complaint_id, allowed=intake.is_office_of, part="acknowledgement")
    return render_template("complaints/office/registered.html", complaint=complaint,
                           next_step=timeline.next_step(complaint), channel_labels=CHANNEL_LABELS,
                           attachments=attachment_store.attachments_of(complaint),
                           staff_file_url=_staff_file_url(complaint))


@bp.route("/reclamations/<int:complaint_id>/consentement", methods=["GET", "POST"])
@login_required
@writes_on_read
def consent(complaint_id: int):
    complaint = complaint_or_403(complaint_id, allowed=intake.can_record_consent, part="consent")
    part = db.session.get(MedicalPart, complaint.id)
    form = ConsentForm()
    done = submit(form, lambda: intake.record_consent(complaint, signed_by=form.signed_by.data,
                                                      signed_on=form.signed_on.data, scope=form.scope.data,
                                                      by=current_user),
                  done=_("The patient's consent is recorded: the CDU members may now read the medical part."),
                  redirect_to=_staff_file_url(complaint) or url_for("complaints.consent", complaint_id=complaint.id))
    return done or (render_template("complaints/office/consent.html", form=form, complaint=complaint, part=part),
                    form_status(form))
