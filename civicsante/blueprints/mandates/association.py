"""The association contact's pages (issue 5, item 6): their association's representatives and the
residents interested in the seats of the territories it covers, with the follow-up. Only the
association's contacts and admins; everyone else gets 403."""
from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civicsante.blueprints.forms import form_status, submit
from civicsante.blueprints.mandates import bp
from civicsante.blueprints.mandates.board_forms import FollowUpForm
from civicsante.blueprints.rendering import paginate
from civicsante.errors import NotAllowed
from civicsante.extensions import db
from civicsante.mandates import board as services
from civicsante.mandates import policy
from civicsante.mandates.models import (
    BASIC_TRAINING,
    ENDED,
    INTEREST_STATUS_LABELS,
    MANDATE_STATUS_LABELS,
    SEAT_KIND_LABELS,
    Instance,
    Mandate,
    Seat,
    SeatInterest,
    Training,
)
from civicsante.mandates.vacancies import paris_today
from civicsante.reference.models import Association


def _may_see_interests(user) -> bool:
    return policy.is_admin(user) or policy.is_association_contact(user)


@bp.get("/mon-association")
@login_required
def my_associations():
    """The associations the person speaks for (every association for an admin)."""
    if not _may_see_interests(current_user):
        abort(403)
    query = select(Association).order_by(Association.name)
    if not policy.is_admin(current_user):
        query = query.where(Association.id.in_(policy.contact_association_ids(current_user)))
    return render_template("mandates/association/index.html", page=paginate(query), today=paris_today())


def _training_status(user_ids: list[int]) -> dict[int, Training]:
    """Each person's basic training, the completed one first (one query for the whole page)."""
    found: dict[int, Training] = {}
    if user_ids:
        rows = db.session.execute(select(Training).where(Training.user_id.in_(user_ids),
                                                         Training.kind == BASIC_TRAINING)
                                  .order_by(Training.completed_on.is_(None), Training.starts_on)).scalars()
        for training in rows:
            found.setdefault(training.user_id, training)
    return found


@bp.get("/associations/<int:association_id>/representants")
@login_required
def association_people(association_id: int):
    association = db.session.get(Association, association_id)
    if association is None:
        abort(404)
    if not policy.can_view_association_people(current_user, association):
        abort(403)
    page = paginate(select(Mandate).where(Mandate.association_id == association.id, Mandate.status != ENDED)
                    .options(joinedload(Mandate.user), joinedload(Mandate.seat).joinedload(Seat.instance))
                    .order_by(Mandate.ends_on, Mandate.id))
    return render_template("mandates/association/people.html", association=association, page=page,
                           trainings=_training_status(list({m.user_id for m in page.items})),
                           today=paris_today(), status_labels=MANDATE_STATUS_LABELS,
                           seat_kind_labels=SEAT_KIND_LABELS)


@bp.get("/association/interesses")
@login_required
def interests():
    if not _may_see_interests(current_user):
        abort(403)
    page = services.interests_for_contact(current_user, page=request.args.get("page", 1, type=int),
                                          per_page=current_app.config["PAGE_SIZE"])
    return render_template("mandates/association/interests.html", page=page,
                           status_labels=INTEREST_STATUS_LABELS, seat_kind_labels=SEAT_KIND_LABELS)


@bp.route("/association/interesses/<int:interest_id>", methods=["GET", "POST"])
@login_required
def follow_up(interest_id: int):
    interest = db.session.execute(
        select(SeatInterest).where(SeatInterest.id == interest_id)
        .options(joinedload(SeatInterest.user),
                 joinedload(SeatInterest.seat).joinedload(Seat.instance).joinedload(Instance.territory))
    ).scalar_one_or_none()
    if interest is None:
        abort(404)
    if not policy.can_follow_up_interest(current_user, interest):
        abort(403)
    form = FollowUpForm(obj=interest) if request.method == "GET" else FollowUpForm()
    if request.method == "GET":
        form.note.data = interest.follow_up_note

    def save():
        try:
            services.follow_up_interest(interest, form.status.data, form.note.data or "", by=current_user)
        except NotAllowed:
            abort(403)

    return (submit(form, save, done=_("The follow-up is saved."), redirect_to=url_for("mandates.interests"))
            or (render_template("mandates/association/follow_up.html", form=form, interest=interest,
                                status_labels=INTEREST_STATUS_LABELS, seat_kind_labels=SEAT_KIND_LABELS),
                form_status(form)))


@bp.app_context_processor
def _association_menu():
    # A function, so the query runs only on the pages that show the link (the account's menu).
    return {"current_user_is_association_contact":
            lambda: current_user.is_authenticated and policy.is_association_contact(current_user)}
