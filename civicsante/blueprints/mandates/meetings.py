"""Meetings of an instance: the list and the scheduling form, a meeting's page (agenda, notice
warning, attendance, minutes), its .ics file, and a member's printable attestation of presence.
Members of the instance read; whoever manages its meetings (policy) writes."""
from __future__ import annotations

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civicsante.blueprints.consultations.forms import paris_to_utc, utc_to_paris
from civicsante.blueprints.forms import form_status, submit
from civicsante.blueprints.rendering import paginate, render_page_or_partial
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates import desk as desk_service
from civicsante.mandates import ical, policy
from civicsante.mandates import meetings as service
from civicsante.mandates.models import Instance, Mandate, Meeting
from civicsante.types import utcnow

from . import bp
from .desk_forms import AttendanceForm, MeetingForm, MinutesForm


def _viewable(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if not policy.can_view_meeting(current_user, meeting):
        abort(403)
    return meeting


def _managed(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if not policy.can_manage_meetings(current_user, meeting.instance):
        abort(403)
    return meeting


def _values(form: MeetingForm) -> dict:
    return {"title": form.title.data, "starts_at": paris_to_utc(form.starts_at.data),
            "ends_at": paris_to_utc(form.ends_at.data), "place": form.place.data, "visio_url": form.visio_url.data,
            "agenda": form.agenda.data, "agenda_sent_at": paris_to_utc(form.agenda_sent_at.data),
            "urgent": form.urgent.data}


@bp.route("/instances/<int:instance_id>/reunions", methods=["GET", "POST"])
@login_required
def instance_meetings(instance_id: int):
    instance = db.get_or_404(Instance, instance_id)
    can_manage = policy.can_manage_meetings(current_user, instance)
    if not (can_manage or policy.sits_in(current_user, instance.id)):
        abort(403)
    if request.method == "POST" and not can_manage:
        abort(403)
    form = MeetingForm()
    created = {}

    def schedule():
        created["m"] = service.schedule_meeting(instance, by=current_user, **_values(form))
        db.session.flush()

    done = submit(form, schedule, done=_("The meeting is scheduled."), redirect_to=url_for(
        "mandates.instance_meetings", instance_id=instance.id))
    if done:
        warning = service.agenda_notice_warning(created["m"])
        if warning:
            flash(str(warning), "warning")
        return done
    page = paginate(service.instance_meetings_query(instance))
    return render_page_or_partial("mandates/meetings/instance.html", "mandates/meetings/_list.html",
                                  instance=instance, page=page, form=form, can_manage=can_manage), form_status(form)


def _hours_mandate(meeting: Meeting):
    """The member's mandate to log this meeting's hours on, once the meeting has started."""
    if meeting.starts_at > utcnow():
        return None
    mandate = desk_service.own_mandate_in(current_user, meeting.instance_id)
    return mandate if mandate is not None and policy.can_log_hours(current_user, mandate) else None


def _meeting_page(meeting: Meeting, *, attendance_form=None, minutes_form=None):
    can_manage = policy.can_manage_meetings(current_user, meeting.instance)
    members = service.meeting_members(meeting) if can_manage else []
    if attendance_form is None:
        attendance_form = AttendanceForm(formdata=None)
    attendance_form.mandate_id.choices = [("", _("Choose a member"))] + [
        (row.mandate.id, row.mandate.user.pseudonym) for row in members]
    if minutes_form is None:
        minutes_form = MinutesForm(formdata=None, minutes=meeting.minutes)
    status = 422 if any(f.errors or f.form_errors for f in (attendance_form, minutes_form)) else 200
    return render_template(
        "mandates/meetings/meeting.html", meeting=meeting, can_manage=can_manage, members=members,
        warning=service.agenda_notice_warning(meeting), attendance_form=attendance_form, minutes_form=minutes_form,
        attestation=desk_service.attestation(current_user, meeting),
        hours_mandate=_hours_mandate(meeting),
    ), status


@bp.get("/reunions/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    return _meeting_page(_viewable(meeting_id))


@bp.route("/reunions/<int:meeting_id>/modifier", methods=["GET", "POST"])
@login_required
def meeting_edit(meeting_id: int):
    meeting = _managed(meeting_id)
    form = MeetingForm(obj=meeting if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "agenda_sent_at"):
            getattr(form, name).data = utc_to_paris(getattr(meeting, name))
    done = submit(form, lambda: service.edit_meeting(meeting, by=current_user, **_values(form)),
                  done=_("The meeting is changed."), redirect_to=url_for("mandates.meeting", meeting_id=meeting.id))
    if done:
        return done
    return render_template("mandates/meetings/edit.html", meeting=meeting, form=form), form_status(form)


@bp.post("/reunions/<int:meeting_id>/presences")
@login_required
def meeting_attendance(meeting_id: int):
    meeting = _managed(meeting_id)
    form = AttendanceForm()

    def record():
        mandate = db.session.get(Mandate, form.mandate_id.data or 0)
        if mandate is None:
            raise DomainError(_("Choose a member."), "mandate_id")
        service.record_attendance(meeting, mandate, form.status.data, by=current_user)

    done = submit(form, record, done=_("The attendance is recorded."),
                  redirect_to=url_for("mandates.meeting", meeting_id=meeting.id) + "#attendance")
    return done or _meeting_page(meeting, attendance_form=form)


@bp.post("/reunions/<int:meeting_id>/compte-rendu")
@login_required
def meeting_minutes(meeting_id: int):
    meeting = _managed(meeting_id)
    form = MinutesForm()
    done = submit(form, lambda: service.record_minutes(meeting, form.minutes.data, by=current_user),
                  done=_("The minutes are saved."),
                  redirect_to=url_for("mandates.meeting", meeting_id=meeting.id) + "#minutes")
    return done or _meeting_page(meeting, minutes_form=form)


@bp.get("/reunions/<int:meeting_id>.ics")
@login_required
def meeting_ics(meeting_id: int):
    meeting = _viewable(meeting_id)
    body = ical.calendar_for([meeting], meeting.title)
    return current_app.response_class(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="reunion-{meeting.id}.ics"'})


@bp.get("/reunions/<int:meeting_id>/attestation")
@login_required
def meeting_attestation(meeting_id: int):
    """Printable (the browser's own print): served only to a member present or with hours logged."""
    meeting = db.get_or_404(Meeting, meeting_id)
    found = desk_service.attestation(current_user, meeting)
    if found is None:
        abort(403)
    # An employer needs the legal name, which the platform does not keep (only a pseudonym is):
    # the representative types it for this print only; it is not stored.
    printed_name = " ".join(request.args.get("nom", "").split())[:120]
    return render_template("mandates/meetings/attestation.html", attestation=found, meeting=meeting,
                           today=desk_service.paris_today(), printed_name=printed_name)
