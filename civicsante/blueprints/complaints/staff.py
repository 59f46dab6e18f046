"""The complaint file for the complaints office, the mediators and the CDU members (issue 6,
items 2 and 5): the list of the files a person may open, the file itself (facts, timeline with the
internal notes, referrals, attachments, the medical part only for those the policy lets read it),
and one POST per lifecycle service, each shown only when the policy allows it and the complaint
is at that stage. Every read of a file is audited once (loading.complaint_or_403); every refusal
too. A POST: load or 404 → policy or 403 (logged) → one lifecycle function → 303."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from civicsante.accounts.models import MEDIATOR, RoleAssignment, User
from civicsante.blueprints.complaints import bp
from civicsante.blueprints.complaints import staff_forms as forms
from civicsante.blueprints.complaints.loading import complaint_or_403
from civicsante.blueprints.consultations.forms import paris_to_utc
from civicsante.blueprints.forms import EmptyForm, submit
from civicsante.blueprints.rendering import paginate
from civicsante.complaints import access, lifecycle, policy
from civicsante.complaints import sessions as sessions_service
from civicsante.complaints.dashboard import followed_establishments, visible_complaints
from civicsante.complaints.deadlines import step_label
from civicsante.complaints.models import (
    CHANNEL_LABELS,
    NATURE_LABELS,
    OPINION_LABELS,
    OUT_OF_SCOPE_LABELS,
    RELATION_LABELS,
    STATUS_LABELS,
    STATUSES,
    Attachment,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    MedicalPart,
    Opinion,
    Referral,
    Reply,
    SessionItem,
)
from civicsante.db import writes_on_read
from civicsante.extensions import db
from civicsante.mandates.models import ACTIVE, RU_SEAT_KINDS, Mandate, Meeting, Seat
from civicsante.types import utcnow


@dataclass(frozen=True)
class Action:
    """One lifecycle service behind one form of the file page."""

    name: str  # the lifecycle function's name, the form's prefix and the URL's last part
    form: type
    allowed: Callable  # (user, complaint, referral) -> bool: the policy
    call: Callable  # (complaint, referral, form, user) -> object: the one service called
    done: str
    per_referral: bool = False


def _office(user, complaint, _referral=None):
    return policy.can_manage_complaint(user, complaint)


def _mediator(user, _complaint, referral):
    return referral is not None and policy.can_act_as_mediator(user, referral)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _user(user_id):
    return db.session.get(User, user_id) if user_id else None


ACTIONS = {a.name: a for a in (
    Action("acknowledge", EmptyForm, _office, lambda c, r, f, u: lifecycle.acknowledge(c, by=u),
           _l("The complaint is acknowledged; the person is told the next step.")),
    Action("qualify", forms.QualifyForm, _office,
           lambda c, r, f, u: lifecycle.qualify(c, nature=f.nature.data, category_id=f.category_id.data, by=u),
           _l("The complaint is qualified.")),
    Action("answer_directly", forms.AnswerForm, _office,
           lambda c, r, f, u: lifecycle.answer_directly(c, text=f.text.data, by=u), _l("The answer is sent.")),
    Action("close_after_answer", EmptyForm, _office,
           lambda c, r, f, u: lifecycle.close_after_answer(c, by=u), _l("The complaint is closed.")),
    Action("refer_to_mediator", forms.ReferForm, _office,
           lambda c, r, f, u: lifecycle.refer_to_mediator(c, medical_mediator=_user(f.medical_mediator.data),
                                                          non_medical_mediator=_user(f.non_medical_mediator.data),
                                                          by=u),
           _l("The complaint is referred.")),
    Action("schedule_mediation", forms.ScheduleMediationForm, _mediator,
           lambda c, r, f, u: lifecycle.schedule_mediation(
               r, meeting_at=paris_to_utc(f.meeting_at.data), place=f.place.data,
               accompanying_mandate_id=f.accompanying_mandate_id.data, by=u),
           _l("The meeting is set."), per_referral=True),
    Action("record_meeting", forms.RecordMeetingForm, _mediator,
           lambda c, r, f, u: lifecycle.record_meeting(r, outcome=f.outcome.data, held_at=paris_to_utc(f.held_at.data),
                                                       note=f.note.data or "", by=u),
           _l("The outcome of the meeting is recorded."), per_referral=True),
    Action("submit_report", forms.ReportForm, _mediator,
           lambda c, r, f, u: lifecycle.submit_report(r, text=f.text.data, by=u),
           _l("The report is sent to the president of the CDU."), per_referral=True),
    Action("forward_report", EmptyForm, lambda u, c, r=None: policy.can_forward_report(u, c),
           lambda c, r, f, u: lifecycle.forward_report(c, by=u), _l("The report is forwarded.")),
    Action("put_on_agenda", forms.AgendaForm, lambda u, c, r=None: policy.can_manage_sessions(u, c.establishment_id),
           lambda c, r, f, u: sessions_service.put_on_agenda(c, meeting=db.session.get(Meeting, f.meeting.data or 0),
                                                             by=u),
           _l("The complaint is on the session's agenda.")),
    Action("record_opinion", forms.OpinionForm, lambda u, c, r=None: policy.can_record_opinion(u, c),
           lambda c, r, f, u: lifecycle.record_opinion(c, kind=f.kind.data, text=f.text.data,
                                                       meeting=db.session.get(Meeting, f.meeting.data or 0),
                                                       recommendations=_lines(f.recommendations.data), by=u),
           _l("The CDU's opinion is recorded.")),
    Action("send_reply", forms.ReplyForm, _office,
           lambda c, r, f, u: lifecycle.send_reply(c, text=f.text.data, by=u), _l("The reply is sent.")),
    Action("mark_out_of_scope", forms.OutOfScopeForm, _office,
           lambda c, r, f, u: lifecycle.mark_out_of_scope(c, kind=f.kind.data, note=f.note.data, by=u),
           _l("The complaint is recorded as out of scope.")),
    Action("delegate_to_cdsp", forms.DelegateForm, _office,
           lambda c, r, f, u: lifecycle.delegate_to_cdsp(c, note=f.note.data, by=u),
           _l("The complaint is referred to the CDSP.")),
)}


def _referral_open(name: str, referral: Referral) -> bool:
    """Which step of its own mediation a referral is at (the complaint's status is checked too)."""
    if name in ("schedule_mediation", "record_meeting"):
        return referral.meeting_outcome is None
    return referral.meeting_outcome is not None and referral.reported_at is None


def _available(action: Action, complaint: Complaint, referral: Referral | None = None) -> bool:
    return (complaint.status in lifecycle.ACTIONS[action.name]
            and (referral is None or _referral_open(action.name, referral))
            and action.allowed(current_user, complaint, referral))


# Choices --------------------------------------------------------------------------------------

def _fill_choices(name: str, form, complaint: Complaint) -> None:
    """The database choices of one form (a query only for the forms on the page)."""
    if name == "qualify":
        form.category_id.choices = [("", _("Choose a category"))] + [
            (c.id, c.label) for c in db.session.execute(
                select(ComplaintCategory).order_by(ComplaintCategory.position, ComplaintCategory.id)).scalars()]
    elif name == "refer_to_mediator":
        people = [(u.id, u.pseudonym) for u in db.session.execute(
            select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == MEDIATOR, RoleAssignment.establishment_id == complaint.establishment_id,
                   User.deleted_at.is_(None)).order_by(User.pseudonym)).scalars()]
        form.medical_mediator.choices = [("", _("None"))] + people
        form.non_medical_mediator.choices = [("", _("None"))] + people
    elif name == "schedule_mediation":
        form.accompanying_mandate_id.choices = _accompanying_choices(complaint)
    elif name == "put_on_agenda":
        form.meeting.choices = [("", _("Choose a session"))] + [
            (m.id, f"{m.title} ({current_app.jinja_env.filters['datetime'](m.starts_at)})")
            for m in db.session.execute(sessions_service.cdu_sessions(complaint.establishment_id)
                                        .where(Meeting.ends_at >= utcnow())).scalars()]
    elif name == "record_opinion":
        form.meeting.choices = [("", _("Choose a session"))] + [
            (m.id, f"{m.title} ({current_app.jinja_env.filters['datetime'](m.starts_at)})")
            for m in db.session.execute(select(Meeting).join(SessionItem, SessionItem.meeting_id == Meeting.id)
                                        .where(SessionItem.complaint_id == complaint.id)
                                        .order_by(Meeting.starts_at.desc())).scalars()]


def _report_years() -> tuple[int, int]:
    """Last year's annual report (the one due to the ARS) and this year's, being written."""
    from civicsante.complaints.deadlines import paris_date

    this_year = paris_date(utcnow()).year
    return this_year - 1, this_year


def _accompanying_choices(complaint: Complaint) -> list:
    """The CDU's RU members who may accompany the complainant: loaded once per request, however
    many referrals (one form each) the page shows."""
    cache = g.setdefault("_accompanying_choices", {})
    if complaint.id not in cache:
        instance_id = policy.cdu_instance_id(complaint.establishment_id) or -1
        cache[complaint.id] = [("", _("Nobody"))] + [
            (m.id, m.user.pseudonym) for m in db.session.execute(
                select(Mandate).join(Seat, Seat.id == Mandate.seat_id).options(joinedload(Mandate.user))
                .where(Seat.instance_id == instance_id, Seat.kind.in_(RU_SEAT_KINDS), Mandate.status == ACTIVE)
                .order_by(Seat.position, Mandate.id)).scalars()]
    return cache[complaint.id]


def _form(action: Action, complaint: Complaint, referral: Referral | None, formdata=None):
    prefix = f"{action.name}-{referral.id}" if referral is not None else action.name
    form = action.form(prefix=prefix) if formdata is not None else action.form(formdata=None, prefix=prefix)
    _fill_choices(action.name, form, complaint)
    if action.name == "record_opinion" and formdata is None and len(form.meeting.choices) == 2:
        form.meeting.data = form.meeting.choices[1][0]
    return form


# Pages ----------------------------------------------------------------------------------------

@bp.get("/reclamations/suivi")
@login_required
def staff_index():
    """The files the person may open (no complaint text here: reference, establishment, status,
    next deadline), filtered by status, paginated."""
    status = request.args.get("statut", "")
    query = (select(Complaint).options(selectinload(Complaint.establishment))
             .where(visible_complaints(current_user)).order_by(Complaint.received_at.desc(), Complaint.id.desc()))
    if status in STATUSES:
        query = query.where(Complaint.status == status)
    return render_template("complaints/staff/index.html", page=paginate(query), status=status,
                           status_labels=STATUS_LABELS, step_label=step_label,
                           establishments=followed_establishments(current_user),
                           report_years=_report_years())


def _file_page(complaint: Complaint, *, failed: tuple | None = None, code: int = 200):
    """The file, with the forms of the actions the person may take now; ``failed`` is the
    (action name, referral id, form) submitted with errors, shown again as typed."""
    events = db.session.execute(
        select(ComplaintEvent).options(joinedload(ComplaintEvent.by))
        .where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.at, ComplaintEvent.id)).scalars().all()
    referrals = db.session.execute(
        select(Referral).options(joinedload(Referral.mediator), joinedload(Referral.accompanying_mandate)
                                 .joinedload(Mandate.user))
        .where(Referral.complaint_id == complaint.id).order_by(Referral.id)).scalars().all()
    attachments = db.session.execute(select(Attachment).where(Attachment.complaint_id == complaint.id)
                                     .order_by(Attachment.id)).scalars().all()
    medical = db.session.get(MedicalPart, complaint.id)
    can_read_medical = medical is not None and policy.can_view_medical_part(current_user, complaint, medical)
    if can_read_medical:
        access.record_read(current_user, complaint, "medical")
        db.session.commit()
    opinion = db.session.execute(select(Opinion).where(Opinion.complaint_id == complaint.id)).scalar()
    replies = db.session.execute(select(Reply).where(Reply.complaint_id == complaint.id)
                                 .order_by(Reply.sent_at)).scalars().all()
    items = db.session.execute(select(SessionItem).options(joinedload(SessionItem.meeting))
                               .where(SessionItem.complaint_id == complaint.id)).scalars().all()

    actions = []  # (action, referral or None, form)
    for action in ACTIONS.values():
        for referral in (referrals if action.per_referral else [None]):
            if not _available(action, complaint, referral):
                continue
            if failed and failed[0] == action.name and failed[1] == getattr(referral, "id", None):
                form = failed[2]
            else:
                form = _form(action, complaint, referral)
            actions.append((action, referral, form))
    return render_template(
        "complaints/staff/file.html", complaint=complaint, events=events, referrals=referrals,
        attachments=attachments, medical=medical if can_read_medical else None,
        medical_withheld=medical is not None and not can_read_medical, opinion=opinion, replies=replies,
        items=items, actions=actions, status_labels=STATUS_LABELS, channel_labels=CHANNEL_LABELS,
        relation_labels=RELATION_LABELS, nature_labels=NATURE_LABELS, opinion_labels=OPINION_LABELS,
        out_of_scope_labels=OUT_OF_SCOPE_LABELS, step_label=step_label,
        attachment_route="complaints.attachment" in current_app.view_functions,
    ), code


@bp.get("/reclamations/<int:complaint_id>")
@login_required
@writes_on_read
def complaint_file(complaint_id: int):
    return _file_page(complaint_or_403(complaint_id))


def _act(name: str, complaint_id: int, referral_id: int | None = None):
    action = ACTIONS[name]
    complaint = db.get_or_404(Complaint, complaint_id)
    referral = None
    if action.per_referral:
        referral = db.get_or_404(Referral, referral_id)
        if referral.complaint_id != complaint.id:
            abort(404)
    if not action.allowed(current_user, complaint, referral):
        access.record_refusal(current_user, complaint, name)
        db.session.commit()
        abort(403)
    form = _form(action, complaint, referral, formdata=request.form)
    done = submit(form, lambda: action.call(complaint, referral, form, current_user), done=str(action.done),
                  redirect_to=url_for("complaints.complaint_file", complaint_id=complaint.id) + "#timeline")
    if done:
        return done
    # Shown again with the errors: that is a read of the file.
    access.record_read(current_user, complaint, "file")
    db.session.commit()
    return _file_page(complaint, failed=(name, getattr(referral, "id", None), form), code=422)


def _register(name: str, path: str) -> None:
    if ACTIONS[name].per_referral:
        rule = f"/reclamations/<int:complaint_id>/mediations/<int:referral_id>/{path}"
    else:
        rule = f"/reclamations/<int:complaint_id>/{path}"

    def view(complaint_id: int, referral_id: int | None = None):
        return _act(name, complaint_id, referral_id)

    view.__name__ = f"file_{name}"
    bp.add_url_rule(rule, endpoint=f"file_{name}", view_func=login_required(view), methods=["POST"])


for _name, _path in (("acknowledge", "accuser-reception"), ("qualify", "qualifier"), ("answer_directly", "reponse-directe"),
                     ("close_after_answer", "cloture"), ("refer_to_mediator", "saisine-mediateur"),
                     ("schedule_mediation", "rendez-vous"), ("record_meeting", "rencontre"),
                     ("submit_report", "rapport"), ("forward_report", "transmission-rapport"),
                     ("put_on_agenda", "ordre-du-jour"), ("record_opinion", "avis"), ("send_reply", "reponse"),
                     ("mark_out_of_scope", "hors-champ"), ("delegate_to_cdsp", "cdsp")):
    _register(_name, _path)
