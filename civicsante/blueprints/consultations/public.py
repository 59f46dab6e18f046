"""Residents' side of consultations: browse, read, vote (ballot → confirmation → receipt).

The ballot travels in two steps without anything stored in between: the ballot page posts to
itself and answers the confirmation page, which carries the ballot as hidden fields; confirming
posts them to ``confirm_vote``, which reads them again (never trusting the first reading) and
casts the ballot. "Change" on the confirmation page posts the same fields back to the ballot
page, which shows them pre-filled.
"""
from __future__ import annotations

from functools import partial

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import EmptyForm
from civicsante.blueprints.rendering import paginate, render_page_or_partial
from civicsante.consultations import policy, services
from civicsante.consultations.ballot_box import ballot_box, kept_ballot_box
from civicsante.consultations.models import (
    METHOD_LABELS,
    ONLINE,
    OPEN,
    PHASE_LABELS,
    PHASES,
    RANKED_METHODS,
    VOTE,
    Consultation,
    Participation,
)
from civicsante.db import reads_first
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs.policy import facilitated_territory_paths
from civicsante.reference.services import territory_choices

from . import bp
from .ballot_input import hidden_fields, read_ballot, values_of


@bp.context_processor
def _consultations_context():
    return {"phase_labels": PHASE_LABELS, "method_labels": METHOD_LABELS,
            "consultations_policy": policy}


class ConsultationFilterForm(FlaskForm):
    """The filters of the list: a GET form, so the URL carries them (shareable, back button)."""

    class Meta:
        csrf = False

    territory_id = SelectField(_l("Territory"), coerce=_optional_int, validate_choice=False)
    phase = SelectField(_l("Phase"), validate_choice=False)


def load_consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def current_step(consultation: Consultation, now=None) -> dict:
    """The current phase with its start and end (from ``phases_timeline``); before the
    collection opens, the upcoming phase ends when the collection starts."""
    timeline = services.phases_timeline(consultation, now)
    current = next((step for step in timeline if step["state"] == "current"), None)
    return current or {"phase": PHASES[0], "starts_at": None, "ends_at": timeline[0]["starts_at"],
                       "state": "current"}


def voted_among(consultation_ids: list[int], user) -> set[int]:
    """Which of these consultations ``user`` voted in: one query for a whole page of the list."""
    if not consultation_ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.execute(select(Participation.consultation_id).where(
        Participation.user_id == user.id, Participation.consultation_id.in_(consultation_ids))).scalars())


# Browse and read ------------------------------------------------------------------------------

@bp.get("/consultations")
def index():
    form = ConsultationFilterForm(formdata=request.args)
    form.territory_id.choices = [("", _("All territories"))] + territory_choices()
    form.phase.choices = [("", _("All phases"))] + [(p, PHASE_LABELS[p]) for p in PHASES]
    phase = form.phase.data if form.phase.data in PHASES else None
    page = paginate(services.consultations_query(form.territory_id.data, phase=phase))
    steps = {c.id: current_step(c) for c in page.items}
    return render_page_or_partial("consultations/index.html", "consultations/_list.html", form=form,
                                  page=page, steps=steps,
                                  voted=voted_among([c.id for c in page.items], current_user),
                                  can_open=bool(facilitated_territory_paths(current_user)))


@bp.get("/consultations/<int:consultation_id>")
def detail(consultation_id: int):
    consultation = load_consultation(consultation_id)
    priorities = consultation.priorities
    participation = services.participation_of(consultation, current_user)
    return render_template(
        "consultations/detail.html", consultation=consultation, priorities=priorities,
        needs=services.needs_of([p.id for p in priorities]), timeline=services.phases_timeline(consultation),
        phase=consultation.phase(), participation=participation,
        may_change=_may_change(consultation, participation),
        eligible=policy.is_eligible(current_user, consultation))


# Vote -----------------------------------------------------------------------------------------

def _voting_consultation(consultation_id: int) -> Consultation:
    """The consultation, if the user is one of its voters: otherwise a 403 page saying why
    (outside the territory, or no home territory in their profile)."""
    consultation = load_consultation(consultation_id)
    if not policy.is_eligible(current_user, consultation):
        abort(_not_eligible(consultation))
    return consultation


def _not_eligible(consultation: Consultation):
    return make_response(render_template("consultations/not_eligible.html", consultation=consultation), 403)


def _vote_closed(consultation: Consultation):
    flash(_("The vote is not open."), "error")
    return redirect(url_for("consultations.detail", consultation_id=consultation.id), 303)


def _already_voted(consultation: Consultation, message: str):
    flash(message, "info")
    return _to_receipt(consultation.id)


# What the receipt says at the top when the ballot was just cast (``?vote=``); shown again on a
# reload of that address, which stays true: the receipt exists only once the vote is recorded.
RECORDED, CHANGED = "enregistre", "modifie"
RECEIPT_NOTICES = {RECORDED: _l("Thank you, your vote is recorded."), CHANGED: _l("Your ballot has been changed.")}


def _to_receipt(consultation_id: int):
    return redirect(url_for("consultations.receipt", consultation_id=consultation_id), 303)


def _may_change(consultation: Consultation, participation) -> bool:
    """Whether to offer changing the ballot (``services.cast_ballot`` is the rule that refuses):
    an open ballot the voter cast themselves, until the close."""
    return (participation is not None and consultation.secrecy == OPEN and participation.channel == ONLINE
            and consultation.phase() == VOTE)


def _ballot_page(consultation: Consultation, values: dict, errors: dict, status: int = 200):
    changing = services.participation_of(consultation, current_user) is not None
    return render_template("consultations/vote.html", consultation=consultation, values=values,
                           errors=errors, changing=changing, form=EmptyForm()), status


def _summary(consultation: Consultation, ballot) -> list[dict]:
    """The ballot in plain words: one line per priority it gives something to, in the order the
    voter sees them (their ranking for the ranked methods)."""
    by_id = {p.candidate_id: p for p in consultation.priorities}
    method = consultation.method
    if method == "single":
        return [{"priority": by_id[ballot]}] if ballot in by_id else []
    if method == "approval" or method in RANKED_METHODS:
        return [{"priority": by_id[cid], "rank": rank}
                for rank, cid in enumerate(ballot, start=1) if cid in by_id]
    if method == "points":
        return [{"priority": p, "points": ballot.get(p.candidate_id, 0)} for p in consultation.priorities]
    labels = consultation.grade_labels
    return [{"priority": p, "grade": labels[ballot[p.candidate_id]]}
            for p in consultation.priorities if p.candidate_id in ballot]


def _unranked(consultation: Consultation, ballot) -> list:
    if consultation.method not in RANKED_METHODS:
        return []
    return [p for p in consultation.priorities if p.candidate_id not in ballot]


@bp.route("/consultations/<int:consultation_id>/vote", methods=["GET", "POST"])
@login_required
def vote(consultation_id: int):
    consultation = _voting_consultation(consultation_id)
    if consultation.phase() != VOTE:
        return _vote_closed(consultation)
    participation = services.participation_of(consultation, current_user)
    if participation is not None and not _may_change(consultation, participation):
        return _already_voted(consultation, _("Your vote has already been recorded. A secret ballot "
                                              "cannot be changed.") if consultation.secrecy != OPEN
                              else _("Your vote has already been recorded."))
    if request.method == "GET":
        ballot = services.open_ballot_of(consultation, current_user) if participation else None
        return _ballot_page(consultation, values_of(consultation, ballot), {})
    read = read_ballot(consultation, request.form)
    if request.form.get("change"):  # back from the confirmation page: the ballot as it was
        return _ballot_page(consultation, read.values, {})
    if not read.ok:
        return _ballot_page(consultation, read.values, read.errors, 422)
    return render_template("consultations/confirm.html", consultation=consultation,
                           summary=_summary(consultation, read.ballot),
                           unranked=_unranked(consultation, read.ballot),
                           hidden=hidden_fields(read.values))


@bp.post("/consultations/<int:consultation_id>/vote/confirmer")
@reads_first  # the write lock is taken by cast_ballot once the ballot is read and checked
@login_required
def confirm_vote(consultation_id: int):
    # The consultation's ballot box, kept per worker (``ballot_box``): no ORM load on the way of
    # a valid ballot; the pages that answer anything else load the consultation. The box this
    # worker keeps is tried first without reading anything: the INSERT of the ballot checks that
    # the consultation has not changed since the box was read. A refusal is only given on a box
    # known to be up to date; a ballot that finds the consultation changed is checked again on
    # a fresh box, twice at most.
    box, fresh = kept_ballot_box(consultation_id), False
    for retries_left in (2, 1, 0):
        if box is None:
            box, fresh = ballot_box(consultation_id), True
            if box is None:
                abort(404)
        answer = _cast(consultation_id, box, fresh=fresh, may_retry=retries_left > 0)
        if answer is not None:
            return answer
        db.session.rollback()
        box = None
    raise AssertionError("the last try always answers")  # pragma: no cover


def _cast(consultation_id: int, box, *, fresh: bool, may_retry: bool):
    """Cast the ballot of the form against ``box``, and answer the page to send; None to be
    called again with a fresh box: instead of a refusal decided on a box that may be out of date
    (``fresh`` false), or when the database found that the consultation changed (``may_retry``)."""
    def refuse(answer):
        return answer() if fresh else None

    if not policy.is_eligible(current_user, box):
        return refuse(lambda: _not_eligible(load_consultation(consultation_id)))
    if box.phase() != VOTE:
        return refuse(lambda: _vote_closed(box))
    read = read_ballot(box, request.form)
    if not read.ok:
        return refuse(lambda: _ballot_page(load_consultation(consultation_id), read.values, read.errors, 422))
    # Only an open ballot can be changed.
    changing = box.secrecy == OPEN and services.participation_of(box, current_user) is not None
    try:
        services.cast_ballot(box, current_user, read.ballot)
        db.session.commit()
    except services.AlreadyVoted:
        db.session.rollback()
        flash(_("Your vote had already been recorded."), "info")
        return _to_receipt(consultation_id)
    except services.ConsultationChanged as error:
        if may_retry:
            return None
        db.session.rollback()
        return _refused_after_all(consultation_id, read.values, error)
    except NotAllowed:
        db.session.rollback()
        return refuse(lambda: _not_eligible(load_consultation(consultation_id)))
    except DomainError as error:  # the vote closed meanwhile, or a ballot the tally refuses
        db.session.rollback()
        return refuse(partial(_refused_after_all, consultation_id, read.values, error))
    # The receipt page thanks the voter (``RECEIPT_NOTICES``): no message stored in the session,
    # whose cookie then need not be signed and sent again.
    return redirect(url_for("consultations.receipt", consultation_id=consultation_id,
                            vote=CHANGED if changing else RECORDED), 303)


def _refused_after_all(consultation_id: int, values: dict, error: DomainError):
    """A ballot checked and then refused by the database: the vote closed meanwhile, or the
    consultation changed (the ballot page again, on the consultation as it is now)."""
    consultation = load_consultation(consultation_id)
    if not policy.is_eligible(current_user, consultation):
        return _not_eligible(consultation)
    if consultation.phase() != VOTE:
        return _vote_closed(consultation)
    return _ballot_page(consultation, values, {error.field or "ballot": error.message}, 422)


@bp.get("/consultations/<int:consultation_id>/recu")
@login_required
def receipt(consultation_id: int):
    consultation = load_consultation(consultation_id)
    participation = services.participation_of(consultation, current_user)
    if participation is None:
        abort(404)
    ballot = services.open_ballot_of(consultation, current_user)
    notice = RECEIPT_NOTICES.get(request.args.get("vote", ""))
    return render_template("consultations/receipt.html", consultation=consultation,
                           notices=[("success", notice)] if notice else [],
                           participation=participation, may_change=_may_change(consultation, participation),
                           summary=_summary(consultation, ballot) if ballot is not None else None,
                           unranked=_unranked(consultation, ballot) if ballot is not None else [])
