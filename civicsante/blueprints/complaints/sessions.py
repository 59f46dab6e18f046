"""CDU sessions (issue 6, item 4): an establishment's sessions with the quarterly warning
(R1112-88) and the scheduling form (the mandates area's ``schedule_meeting`` on the CDU
instance); a session's page: its agenda of complaints (references only), the complaints awaiting
examination to add, recusals (R1112-87) and the link to the meeting's page, where attendance is
recorded. The complaints office and the CDU president manage them (policy.can_manage_sessions)."""
from __future__ import annotations

from flask import abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civicsante.blueprints.complaints import bp
from civicsante.blueprints.complaints.staff_forms import RecusalForm, SessionAgendaForm
from civicsante.blueprints.forms import form_status, submit
from civicsante.blueprints.mandates.desk_forms import MeetingForm
from civicsante.blueprints.mandates.meetings import _values as meeting_values
from civicsante.blueprints.rendering import paginate
from civicsante.complaints import policy
from civicsante.complaints import sessions as service
from civicsante.complaints.models import STATUS_LABELS, Complaint, SessionItem
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates import meetings as meetings_service
from civicsante.mandates import policy as mandates_policy
from civicsante.mandates.models import SEAT_KIND_LABELS, Mandate, Meeting
from civicsante.mandates.vacancies import paris_today
from civicsante.reference.models import Establishment


def _establishment(establishment_id: int) -> Establishment:
    establishment = db.get_or_404(Establishment, establishment_id)
    if not policy.can_manage_sessions(current_user, establishment.id):
        abort(403)
    return establishment


@bp.route("/reclamations/etablissements/<int:establishment_id>/seances", methods=["GET", "POST"])
@login_required
def cdu_sessions(establishment_id: int):
    establishment = _establishment(establishment_id)
    instance = service.cdu_instance(establishment.id)
    # Scheduling is the mandates area's: whoever manages the CDU instance's meetings.
    can_schedule = instance is not None and mandates_policy.can_manage_meetings(current_user, instance)
    form = MeetingForm()
    if form.is_submitted() and not can_schedule:
        abort(403)
    created = {}

    def schedule():
        created["m"] = meetings_service.schedule_meeting(instance, by=current_user, **meeting_values(form))
        db.session.flush()

    done = submit(form, schedule, done=_("The session is scheduled."),
                  redirect_to=url_for("complaints.cdu_sessions", establishment_id=establishment.id))
    if done:
        warning = meetings_service.agenda_notice_warning(created["m"])
        if warning:
            flash(str(warning), "warning")
        return done
    page = paginate(service.cdu_sessions(establishment.id))
    return render_template("complaints/sessions/index.html", establishment=establishment, instance=instance,
                           page=page, form=form, can_schedule=can_schedule,
                           quarter_warning=service.quarter_warning(establishment.id, paris_today())), form_status(form)


def _session(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    establishment_id = meeting.instance.establishment_id
    if establishment_id is None or not meeting.instance.type.is_cdu:
        abort(404)
    if not policy.can_manage_sessions(current_user, establishment_id):
        abort(403)
    return meeting


def _session_page(meeting: Meeting, *, agenda_form=None, recusal_form=None):
    establishment_id = meeting.instance.establishment_id
    rows = service.agenda(meeting)
    awaiting = db.session.execute(service.awaiting_examination(establishment_id).limit(200)).scalars().all()
    agenda_form = agenda_form or SessionAgendaForm(formdata=None)
    agenda_form.complaint_id.choices = [("", _("Choose a complaint"))] + [
        (c.id, f"{c.reference} ({c.received_at:%d/%m/%Y})") for c in awaiting]
    recusal_form = recusal_form or RecusalForm(formdata=None)
    recusal_form.item_id.choices = [("", _("Choose a complaint"))] + [(r.item.id, r.item.complaint.reference)
                                                                        for r in rows]
    members = meetings_service.meeting_members(meeting)
    recusal_form.mandate_id.choices = [("", _("Choose a member"))] + [
        (row.mandate.id, f"{row.mandate.user.public_name} ({SEAT_KIND_LABELS[row.mandate.seat.kind]})")
        for row in members]
    code = 422 if any(f.errors or f.form_errors for f in (agenda_form, recusal_form)) else 200
    return render_template("complaints/sessions/session.html", meeting=meeting, rows=rows, awaiting=awaiting,
                           agenda_form=agenda_form, recusal_form=recusal_form, status_labels=STATUS_LABELS,
                           seat_kind_labels=SEAT_KIND_LABELS,
                           warning=meetings_service.agenda_notice_warning(meeting)), code


@bp.get("/reclamations/seances/<int:meeting_id>")
@login_required
def cdu_session(meeting_id: int):
    return _session_page(_session(meeting_id))


@bp.post("/reclamations/seances/<int:meeting_id>/ordre-du-jour")
@login_required
def cdu_session_add(meeting_id: int):
    meeting = _session(meeting_id)
    form = SessionAgendaForm()

    def add():
        complaint = db.session.get(Complaint, form.complaint_id.data or 0)
        if complaint is None or complaint.establishment_id != meeting.instance.establishment_id:
            raise DomainError(_("Choose a complaint."), "complaint_id")
        try:
            service.put_on_agenda(complaint, meeting=meeting, by=current_user)
        except DomainError as error:  # the lifecycle names its field "meeting": here it is the complaint
            raise DomainError(error.message, "complaint_id") from error

    done = submit(form, add, done=_("The complaint is on the agenda."),
                  redirect_to=url_for("complaints.cdu_session", meeting_id=meeting.id) + "#agenda")
    return done or _session_page(meeting, agenda_form=form)


@bp.post("/reclamations/seances/<int:meeting_id>/recusations")
@login_required
def cdu_session_recusal(meeting_id: int):
    meeting = _session(meeting_id)
    form = RecusalForm()
    recorded = {}

    def recuse():
        item = db.session.get(SessionItem, form.item_id.data or 0)
        if item is None or item.meeting_id != meeting.id:
            raise DomainError(_("Choose a complaint."), "item_id")
        mandate = db.session.get(Mandate, form.mandate_id.data or 0)
        if mandate is None:
            raise DomainError(_("Choose a member."), "mandate_id")
        recorded["r"] = service.recuse(item, mandate=mandate, reason=form.reason.data, by=current_user)

    done = submit(form, recuse, done=None,
                  redirect_to=url_for("complaints.cdu_session", meeting_id=meeting.id) + "#agenda")
    if done:
        flash(_("The recusal is recorded; the substitute is invited.") if recorded["r"].substitute_mandate_id
              else _("The recusal is recorded. No substitute can be invited: the member holds a substitute's "
                     "seat, or their substitute's seat is empty."), "success")
        return done
    return _session_page(meeting, recusal_form=form)
