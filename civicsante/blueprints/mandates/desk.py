"""The representative's desk: their own mandates, meetings, trainings, hours, leave and calendar
address. A representative only ever reaches their own: the pages read ``current_user``'s data,
and a mandate in a URL is checked against its holder (policy)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civicsante.accounts.models import User
from civicsante.blueprints.forms import EmptyForm, form_status, submit
from civicsante.blueprints.rendering import paginate, render_page_or_partial
from civicsante.db import writes_on_read
from civicsante.errors import DomainError
from civicsante.extensions import db, limiter
from civicsante.mandates import desk as desk_service
from civicsante.mandates import ical, policy
from civicsante.mandates.models import (
    ATTENDANCE_LABELS,
    MANDATE_STATUS_LABELS,
    SEAT_KIND_LABELS,
    Mandate,
    Meeting,
)

from . import bp
from .desk_forms import TRAINING_KIND_LABELS, HoursForm, IndemnityForm, LeaveForm, TrainingForm


@bp.context_processor
def _desk_context():
    return {"mandate_status_labels": MANDATE_STATUS_LABELS, "seat_kind_labels": SEAT_KIND_LABELS,
            "attendance_labels": ATTENDANCE_LABELS, "training_kind_labels": TRAINING_KIND_LABELS,
            "mandates_policy": policy, "ends_soon_days": desk_service.ENDS_SOON_DAYS}


def _representative():
    if not policy.can_view_desk(current_user):
        abort(403)
    return current_user


def _feed_url(feed) -> str:
    return url_for("mandates.calendar_feed", token=feed.token, _external=True)


@bp.get("/mon-bureau")
@writes_on_read  # the calendar address is created at the first visit
@login_required
def desk():
    user = _representative()
    today = desk_service.paris_today()
    feed = ical.ensure_feed(user)
    db.session.commit()
    allowed, used, remaining = desk_service.leave_balance(user, today.year)
    return render_template(
        "mandates/desk/desk.html", mandates=desk_service.desk_mandates(user, today),
        meetings=desk_service.next_meetings(user), training=desk_service.basic_training_status(user, today),
        totals=desk_service.hours_totals(user), leave=(allowed, used, remaining), year=today.year,
        feed_url=_feed_url(feed), form=EmptyForm())


@bp.post("/mon-bureau/calendrier/nouvelle-adresse")
@login_required
def desk_calendar_regenerate():
    user = _representative()
    if EmptyForm().validate_on_submit():
        ical.regenerate_feed(user, by=user)
        db.session.commit()
        flash(_("Your calendar has a new address: the old one no longer works."), "success")
    return redirect(url_for("mandates.desk") + "#calendar", 303)


@bp.route("/mon-bureau/mandats/<int:mandate_id>/heures", methods=["GET", "POST"])
@login_required
def desk_hours(mandate_id: int):
    mandate = db.get_or_404(Mandate, mandate_id)
    if not policy.can_view_mandate(current_user, mandate):
        abort(403)
    if request.method == "POST" and not policy.can_log_hours(current_user, mandate):
        abort(403)
    today = desk_service.paris_today()
    form = HoursForm()
    meetings = desk_service.meetings_for_hours(mandate, today)
    form.meeting_id.choices = [("", _("No particular meeting"))] + [
        (m.id, f"{m.title} ({m.starts_at.astimezone(desk_service.PARIS):%d/%m/%Y})") for m in meetings]
    chosen = next((m for m in meetings if m.id == request.args.get("reunion", type=int)), None)
    if request.method == "GET" and chosen is not None:  # from a meeting's page: its day, its id
        form.meeting_id.data, form.worked_on.data = chosen.id, desk_service.paris_date(chosen.starts_at)

    def log():
        meeting = db.session.get(Meeting, form.meeting_id.data) if form.meeting_id.data else None
        if form.meeting_id.data and meeting is None:
            raise DomainError(_("Choose one of the meetings listed."), "meeting_id")
        desk_service.log_hours(mandate, worked_on=form.worked_on.data, minutes=form.minutes.data, meeting=meeting,
                               description=form.description.data, by=current_user)

    done = submit(form, log, done=_("Your hours are logged."),
                  redirect_to=url_for("mandates.desk_hours", mandate_id=mandate.id))
    if done:
        return done
    page = paginate(desk_service.hours_query(mandate))
    return render_page_or_partial(
        "mandates/desk/hours.html", "mandates/desk/_hours_list.html", mandate=mandate, form=form, page=page,
        by_year=desk_service.hours_by_year(mandate), can_log=policy.can_log_hours(current_user, mandate),
    ), form_status(form)


@bp.route("/mon-bureau/conges", methods=["GET", "POST"])
@login_required
def desk_leave():
    user = _representative()
    today = desk_service.paris_today()
    mandates = desk_service.own_mandate_choices(user)
    form = LeaveForm()
    form.mandate_id.choices = [("", _("Choose a mandate"))] + [(m.id, m.seat.instance.name) for m in mandates]
    if request.method == "GET" and len(mandates) == 1:
        form.mandate_id.data = mandates[0].id
    outcome = {}

    def ask():
        mandate = next((m for m in mandates if m.id == form.mandate_id.data), None)
        if mandate is None:
            raise DomainError(_("Choose one of your mandates."), "mandate_id")
        _leave, outcome["warning"] = desk_service.request_leave(
            user, mandate=mandate, absence_on=form.absence_on.data, half_days=form.half_days.data,
            requested_on=form.requested_on.data or today, note=form.note.data, by=user)

    done = submit(form, ask, done=_("Your leave request is recorded."), redirect_to=url_for("mandates.desk_leave"))
    if done:
        if outcome.get("warning"):
            flash(str(outcome["warning"]), "warning")
        return done
    year = request.args.get("annee", type=int) or today.year
    if not 2000 <= year <= 2100:
        year = today.year
    page = paginate(desk_service.leave_query(user))
    return render_page_or_partial(
        "mandates/desk/leave.html", "mandates/desk/_leave_list.html", form=form, page=page, year=year,
        balance=desk_service.leave_balance(user, year), notice_days=desk_service.LEAVE_NOTICE_DAYS,
        has_mandates=bool(mandates),
    ), form_status(form)


@bp.route("/mon-bureau/formations", methods=["GET", "POST"])
@login_required
def desk_trainings():
    user = _representative()
    form = TrainingForm()
    done = submit(form, lambda: desk_service.record_training(
        user, kind=form.kind.data, title=form.title.data, organiser=form.organiser.data,
        starts_on=form.starts_on.data, half_days=form.half_days.data, completed_on=form.completed_on.data, by=user),
        done=_("The training is recorded."), redirect_to=url_for("mandates.desk_trainings"))
    if done:
        return done
    return _trainings_page(user, form, IndemnityForm(formdata=None))


def _trainings_page(user, form, indemnity_form):
    today = desk_service.paris_today()
    page = paginate(desk_service.trainings_query(user))
    status = form_status(form) if form.errors else form_status(indemnity_form)
    return render_page_or_partial(
        "mandates/desk/trainings.html", "mandates/desk/_trainings_list.html", form=form,
        indemnity_form=indemnity_form, page=page, training=desk_service.basic_training_status(user, today),
    ), status


@bp.post("/mon-bureau/formations/indemnite")
@login_required
def desk_indemnity():
    user = _representative()
    form = IndemnityForm()
    done = submit(form, lambda: desk_service.record_basic_training_indemnity(user, form.paid_on.data, by=user),
                  done=_("The indemnity is recorded."), redirect_to=url_for("mandates.desk_trainings"))
    return done or _trainings_page(user, TrainingForm(formdata=None), form)


@bp.get("/calendrier/<token>.ics")
@limiter.limit(lambda: current_app.config["RATELIMIT_ANONYMOUS_POST"])
def calendar_feed(token: str):
    """Read by calendar applications, without a session: the token is the key."""
    feed = ical.feed_for_token(token)
    user = db.session.get(User, feed.user_id) if feed is not None else None
    if user is None or not user.is_active:
        abort(404)
    body = ical.calendar_for(ical.feed_meetings(user), _("My meetings — CivicSanté"))
    return current_app.response_class(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="reunions.ics"', "Cache-Control": "private, no-store"})
