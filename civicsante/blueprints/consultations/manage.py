"""The facilitator's tools: set up a consultation, open phases, build priorities from needs,
type paper ballots in batches, enter assisted ballots, post the public follow-up — and the
public follow-up page of a priority. The services check the rules and write the audit rows."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from civicsante.blueprints.forms import EmptyForm, attach_error, form_status
from civicsante.blueprints.needs.assisted import _person
from civicsante.blueprints.needs.common import facilitated_territory_choices
from civicsante.blueprints.rendering import paginate
from civicsante.consultations import policy, results, services
from civicsante.consultations.models import (
    DEFAULT_GRADE_LABELS,
    METHOD_LABELS,
    MILESTONE_STATUS_LABELS,
    PHASE_LABELS,
    PHASES,
    VOTE,
    Ballot,
    Consultation,
    PaperBatch,
    Participation,
    Priority,
)
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs.models import EN_EXAMEN, INTEGRE, NOUVEAU, RETENU, STATUS_LABELS, Need
from civicsante.needs.search import filter_needs, visible_needs
from civicsante.notifications.services import deliver_immediate
from civicsante.reference.models import Territory

from . import bp
from .ballot_input import read_ballot
from .forms import (
    METHOD_EXPLANATIONS,
    PHASE_DATE_FIELDS,
    SECRECY_LABELS,
    VISIBILITY_LABELS,
    AssistedBallotForm,
    ConsultationForm,
    MilestoneForm,
    NeedSearchForm,
    PaperBallotForm,
    PaperBatchForm,
    PriorityForm,
    utc_to_paris,
)

# Needs a priority may be built from (needs.services.INTEGRABLE, plus those already in one).
PRIORITY_NEED_STATUSES = (NOUVEAU, EN_EXAMEN, RETENU, INTEGRE)
NEEDS_PER_PAGE = 20


@bp.context_processor
def _manage_context():
    return {"method_labels": METHOD_LABELS, "phase_labels": PHASE_LABELS,
            "milestone_status_labels": MILESTONE_STATUS_LABELS, "method_explanations": METHOD_EXPLANATIONS,
            "secrecy_labels": SECRECY_LABELS, "visibility_labels": VISIBILITY_LABELS,
            "consultations_policy": policy}


# Loaders and shared steps -----------------------------------------------------------------------

def _load(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _managed(consultation_id: int) -> Consultation:
    consultation = _load(Consultation, consultation_id)
    if not policy.can_manage(current_user, consultation):
        abort(403)
    return consultation


def _managed_priority(priority_id: int) -> Priority:
    priority = _load(Priority, priority_id)
    if not policy.can_manage(current_user, priority.consultation):
        abort(403)
    return priority


def _managed_batch(batch_id: int) -> tuple[PaperBatch, Consultation]:
    batch = _load(PaperBatch, batch_id)
    return batch, _managed(batch.consultation_id)


def _run(action, form=None) -> bool:
    """Run a service and commit; a refusal is rolled back and shown next to its field (or
    flashed when there is no form). NotAllowed is a 403."""
    try:
        action()
        db.session.commit()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        db.session.rollback()
        if form is None:
            flash(str(error.message), "error")
        else:
            attach_error(form, error)
        return False
    return True


def _one_click(action, *, done: str, redirect_to: str):
    """A one-button POST: CSRF checked, the service run, a message flashed, back with 303."""
    if EmptyForm().validate_on_submit() and _run(action):
        flash(done, "success")
    return redirect(redirect_to, 303)


def _desk(consultation: Consultation) -> str:
    return url_for("consultations.manage", consultation_id=consultation.id)


# Setting up -------------------------------------------------------------------------------------

def _default_grade_labels() -> list[str]:
    return [str(label) for label in DEFAULT_GRADE_LABELS]


def _settings(form: ConsultationForm, frozen: Consultation | None = None) -> dict:
    """The service's keyword arguments from the form. Once the vote has opened the method, its
    settings and the secrecy are shown read-only: the consultation's own values are passed."""
    if frozen is not None:
        method_settings = {
            "method": frozen.method, "secrecy": frozen.secrecy, "max_approvals": frozen.max_approvals,
            "points_budget": frozen.points_budget,
            "grade_labels": json.loads(frozen.grade_labels_json) if frozen.grade_labels_json else None}
    else:
        labels = form.grade_label_list()
        method_settings = {
            "method": form.method.data, "secrecy": form.secrecy.data, "max_approvals": form.max_approvals.data,
            "points_budget": form.points_budget.data,
            # The default grades unchanged: stored as "the defaults", so they show in each language.
            "grade_labels": None if labels == _default_grade_labels() else labels}
    return {"title": form.title.data, "description": form.description.data,
            "results_visibility": form.results_visibility.data, **method_settings, **form.utc_dates()}


def _method_frozen(consultation: Consultation) -> bool:
    """Mirrors the rule of services.update_consultation, to show the fields read-only."""
    return (PHASES.index(consultation.phase()) >= PHASES.index(VOTE)
            or db.session.execute(select(Ballot.id).where(Ballot.consultation_id == consultation.id)
                                  .limit(1)).first() is not None)


@bp.route("/consultations/nouvelle", methods=["GET", "POST"])
@login_required
def new():
    choices = facilitated_territory_choices(current_user)
    if not choices:
        abort(403)
    form = ConsultationForm()
    form.territory_id.choices = [("", _("Choose a territory"))] + choices
    if request.method == "GET":
        form.grade_labels.data = "\n".join(_default_grade_labels())
        form.secrecy.data = form.secrecy.data or "secret"
        form.results_visibility.data = form.results_visibility.data or "apres_cloture"
        if len(choices) == 1:
            form.territory_id.data = choices[0][0]
    created = {}

    def create():
        territory = db.session.get(Territory, form.territory_id.data or 0)
        if territory is not None and not policy.can_create_in(current_user, territory):
            raise DomainError(_("Choose one of the territories you facilitate."), "territory_id")
        created["c"] = services.create_consultation(current_user, territory_id=form.territory_id.data,
                                                    **_settings(form))
        db.session.flush()

    if form.validate_on_submit() and _run(create, form):
        flash(_("The consultation is created. Add its priorities, then open the phases."), "success")
        return redirect(_desk(created["c"]), 303)
    return render_template("consultations/manage/form.html", form=form, consultation=None,
                           frozen=False), form_status(form)


@bp.route("/consultations/<int:consultation_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(consultation_id: int):
    consultation = _managed(consultation_id)
    frozen = _method_frozen(consultation)
    form = ConsultationForm(obj=consultation if request.method == "GET" else None)
    form.territory_id.choices = [(consultation.territory_id, consultation.territory.name)]
    if request.method == "GET":
        for name in PHASE_DATE_FIELDS:
            getattr(form, name).data = utc_to_paris(getattr(consultation, name))
        form.grade_labels.data = "\n".join(consultation.grade_labels)
    form.territory_id.data = consultation.territory_id  # the territory (the electorate) stays
    if frozen:
        form.method.data, form.secrecy.data = consultation.method, consultation.secrecy
    if form.validate_on_submit() and _run(lambda: services.update_consultation(
            consultation, current_user, **_settings(form, consultation if frozen else None)), form):
        flash(_("The consultation is updated."), "success")
        return redirect(_desk(consultation), 303)
    return render_template("consultations/manage/form.html", form=form, consultation=consultation,
                           frozen=frozen), form_status(form)


# The desk ---------------------------------------------------------------------------------------

def _figures(consultation: Consultation) -> dict:
    """How many people took part and how many ballots were counted, per channel: two grouped
    counts, no result."""
    people = dict(db.session.execute(
        select(Participation.channel, func.count()).where(Participation.consultation_id == consultation.id)
        .group_by(Participation.channel)).all())
    ballots = dict(db.session.execute(
        select(Ballot.channel, func.count()).where(Ballot.consultation_id == consultation.id)
        .group_by(Ballot.channel)).all())
    return {"people": people, "people_total": sum(people.values()),
            "ballots": ballots, "ballots_total": sum(ballots.values())}


@bp.get("/consultations/<int:consultation_id>/gestion")
@login_required
def manage(consultation_id: int):
    consultation = _managed(consultation_id)
    priorities = consultation.priorities
    batches = paginate(select(PaperBatch).where(PaperBatch.consultation_id == consultation.id)
                       .order_by(PaperBatch.id.desc()))
    return render_template(
        "consultations/manage/desk.html", consultation=consultation, phase=consultation.phase(),
        timeline=services.phases_timeline(consultation), priorities=priorities,
        needs=services.needs_of([p.id for p in priorities]), batches=batches,
        figures=_figures(consultation), priorities_open=PHASES.index(consultation.phase()) < PHASES.index(VOTE))


@bp.post("/consultations/<int:consultation_id>/phase")
@login_required
def start_phase(consultation_id: int):
    consultation = _managed(consultation_id)
    phase = request.form.get("phase", "")
    label = PHASE_LABELS.get(phase, phase)
    return _one_click(lambda: services.start_phase_now(consultation, phase, current_user),
                      done=_("The phase “%(phase)s” is open.", phase=label), redirect_to=_desk(consultation))


# Priorities -------------------------------------------------------------------------------------

def _candidate_needs(consultation: Consultation, q: str):
    query = filter_needs(visible_needs(), territory_id=consultation.territory_id, q=q, sort="soutiens")
    return query.where(Need.status.in_(PRIORITY_NEED_STATUSES))


@bp.route("/consultations/<int:consultation_id>/priorites/nouvelle", methods=["GET", "POST"])
@login_required
def new_priority(consultation_id: int):
    consultation = _managed(consultation_id)
    search = NeedSearchForm(formdata=request.args)
    q = (search.q.data or "").strip()
    page = paginate(_candidate_needs(consultation, q), per_page=NEEDS_PER_PAGE)
    form = PriorityForm()
    # The needs already ticked stay listed (and ticked) whatever page of the search is shown.
    chosen_ids = [i for i in (form.need_ids.data or []) if isinstance(i, int)]
    shown = {n.id for n in page.items}
    chosen = db.session.execute(_candidate_needs(consultation, "").where(
        Need.id.in_(chosen_ids), Need.id.not_in(shown))).scalars().all() if chosen_ids else []
    if form.validate_on_submit() and _run(lambda: services.add_priority(
            consultation, current_user, title=form.title.data, description=form.description.data,
            need_ids=chosen_ids), form):
        deliver_immediate()
        flash(_("The priority is added; the people following its needs are told."), "success")
        return redirect(_desk(consultation), 303)
    return render_template("consultations/manage/priority_form.html", consultation=consultation, form=form,
                           search=search, q=q, page=page, chosen=chosen, chosen_ids=set(chosen_ids),
                           status_labels=STATUS_LABELS), form_status(form)


@bp.post("/priorites/<int:priority_id>/supprimer")
@login_required
def delete_priority(priority_id: int):
    priority = _managed_priority(priority_id)
    consultation = priority.consultation
    return _one_click(lambda: services.remove_priority(priority, current_user),
                      done=_("The priority is removed."), redirect_to=_desk(consultation))


# Paper ballots ----------------------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/lots-papier/nouveau", methods=["GET", "POST"])
@login_required
def new_batch(consultation_id: int):
    consultation = _managed(consultation_id)
    form = PaperBatchForm()
    opened = {}

    def open_batch():
        opened["batch"] = services.open_paper_batch(
            consultation, current_user, place=form.place.data, collected_on=form.collected_on.data,
            declared_count=form.declared_count.data)
        db.session.flush()

    if form.validate_on_submit() and _run(open_batch, form):
        return redirect(url_for("consultations.batch", batch_id=opened["batch"].id), 303)
    return render_template("consultations/manage/batch_form.html", consultation=consultation,
                           form=form), form_status(form)


@bp.route("/lots-papier/<int:batch_id>", methods=["GET", "POST"])
@login_required
def batch(batch_id: int):
    batch, consultation = _managed_batch(batch_id)
    form = PaperBallotForm()
    ballot = read_ballot(consultation, request.form) if request.method == "POST" else None
    errors = dict(ballot.errors) if ballot else {}
    if form.validate_on_submit() and ballot.ok:
        try:
            services.add_paper_ballot(batch, current_user, ballot.ballot, copies=form.copies.data)
            db.session.commit()
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            db.session.rollback()
            if error.field == "copies":
                attach_error(form, error)
            elif error.field == "ballot":
                errors["ballot"] = str(error.message)
            else:
                form.form_errors.append(error.message)
        else:
            copies = form.copies.data
            flash(_("%(num)s ballots typed.", num=copies) if copies > 1 else _("The ballot is typed."), "success")
            return redirect(url_for("consultations.batch", batch_id=batch.id, suivant=1), 303)
    status = 422 if errors or form.errors or form.form_errors else 200
    return render_template("consultations/manage/batch.html", consultation=consultation, batch=batch,
                           form=form, values=ballot.values if ballot else {}, errors=errors,
                           typed=len(batch.draft), last=batch.draft[-1] if batch.draft else None,
                           next_ballot=bool(request.args.get("suivant")) and status == 200), status


@bp.post("/lots-papier/<int:batch_id>/retirer-dernier")
@login_required
def batch_remove_last(batch_id: int):
    batch, _consultation = _managed_batch(batch_id)
    return _one_click(lambda: services.remove_last_paper_ballot(batch, current_user),
                      done=_("The last ballot typed is removed."),
                      redirect_to=url_for("consultations.batch", batch_id=batch.id))


@bp.post("/lots-papier/<int:batch_id>/valider")
@login_required
def batch_validate(batch_id: int):
    batch, _consultation = _managed_batch(batch_id)
    return _one_click(lambda: services.validate_paper_batch(batch, current_user),
                      done=_("The batch is validated: its ballots are counted."),
                      redirect_to=url_for("consultations.batch", batch_id=batch.id))


# Assisted ballots -------------------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/vote-assiste", methods=["GET", "POST"])
@login_required
def assisted_ballot(consultation_id: int):
    consultation = _managed(consultation_id)
    form = AssistedBallotForm()
    ballot = read_ballot(consultation, request.form) if request.method == "POST" else None
    errors = dict(ballot.errors) if ballot else {}
    if form.validate_on_submit() and ballot.ok:
        try:
            participation = services.cast_ballot(consultation, _person(form.person.data), ballot.ballot,
                                                 entered_by=current_user)
            receipt = participation.receipt
            db.session.commit()
        except DomainError as error:
            # NotAllowed here is about the person (not a resident of the territory): the
            # facilitator's own right was checked above.
            db.session.rollback()
            if isinstance(error, (services.AlreadyVoted, NotAllowed)) or error.field == "person":
                attach_error(form, DomainError(error.message, "person"))
            elif error.field == "ballot":
                errors["ballot"] = str(error.message)
            else:
                form.form_errors.append(error.message)
        else:
            flash(_("The assisted ballot is recorded. Receipt to give to the person: %(receipt)s",
                    receipt=receipt), "success")
            return redirect(_desk(consultation), 303)
    status = 422 if errors or form.errors or form.form_errors else 200
    return render_template("consultations/manage/assisted.html", consultation=consultation, form=form,
                           values=ballot.values if ballot else {}, errors=errors), status


# Follow-up --------------------------------------------------------------------------------------

@bp.route("/priorites/<int:priority_id>/suivi/nouveau", methods=["GET", "POST"])
@login_required
def new_milestone(priority_id: int):
    priority = _managed_priority(priority_id)
    form = MilestoneForm()
    if form.validate_on_submit() and _run(lambda: services.post_milestone(
            priority, current_user, happened_on=form.happened_on.data, text=form.text.data,
            status=form.status.data, progress=form.progress.data, reason=form.reason.data), form):
        deliver_immediate()
        flash(_("The step is published; the voters and supporters are told."), "success")
        return redirect(url_for("consultations.priority", priority_id=priority.id), 303)
    return render_template("consultations/manage/milestone_form.html", priority=priority,
                           consultation=priority.consultation, form=form), form_status(form)


def _rank_of(priority: Priority) -> int | None:
    """The priority's place in the published results (shared places count once each)."""
    consultation = priority.consultation
    if not policy.results_public(consultation):
        return None
    consultation = results.refreshed(consultation)
    data = json.loads(consultation.results_json or "null")
    place = 1
    for tier in (data or {}).get("result", {}).get("ranking", []):
        if priority.candidate_id in tier:
            return place
        place += len(tier)
    return None


@bp.get("/priorites/<int:priority_id>")
def priority(priority_id: int):
    priority = _load(Priority, priority_id)
    consultation = priority.consultation
    rank = _rank_of(priority)  # first: refreshing the results expires what is loaded before
    needs = [n for n in services.needs_of([priority.id])[priority.id] if not n.hidden]
    return render_template("consultations/priority.html", priority=priority, consultation=consultation,
                           needs=needs, milestones=services.milestones_of([priority.id])[priority.id],
                           rank=rank, can_manage=policy.can_manage(current_user, consultation),
                           status_labels=STATUS_LABELS)
