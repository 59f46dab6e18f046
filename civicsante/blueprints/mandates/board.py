"""The public vacant-seat board and the residents' "Je suis intéressé·e" (issue 5, item 6)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civicsante.blueprints.forms import attach_error, form_status
from civicsante.blueprints.mandates import bp
from civicsante.blueprints.mandates.board_forms import BoardFilterForm, InterestForm
from civicsante.blueprints.rendering import render_page_or_partial
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db, limiter
from civicsante.mandates import board as services
from civicsante.mandates.models import SEAT_KIND_LABELS, InstanceType, Seat
from civicsante.mandates.vacancies import paris_today, seat_vacancies, vacancy_of
from civicsante.notifications.services import deliver_immediate
from civicsante.reference.models import Territory
from civicsante.reference.services import territory_choices

# Signed-in people only, but a script could still flood the associations with notifications
# (the RATELIMIT_SEAT_INTEREST setting, when set, replaces it).
INTEREST_RATE_LIMIT = "10 per minute;50 per day"


def _type_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(db.select(InstanceType.code, InstanceType.name).order_by(InstanceType.name))
    return [(row.code, row.name) for row in rows]


@bp.get("/sieges-vacants")
def board():
    form = BoardFilterForm(formdata=request.args)
    types = _type_choices()
    form.territory_id.choices = [("", _("All territories"))] + territory_choices()
    form.type.choices = [("", _("All kinds of body"))] + types
    territory = db.session.get(Territory, form.territory_id.data) if form.territory_id.data else None
    type_code = form.type.data if form.type.data in dict(types) else None
    page = seat_vacancies(paris_today(), territory=territory, type_code=type_code,
                          kinds=services.BOARD_SEAT_KINDS, page=request.args.get("page", 1, type=int),
                          per_page=current_app.config["PAGE_SIZE"])
    interested = services.interested_in([v.seat_id for v in page.items], current_user)
    return render_page_or_partial("mandates/board/index.html", "mandates/board/_results.html", form=form,
                                  page=page, interested=interested, seat_kind_labels=SEAT_KIND_LABELS)


def _load_board_seat(seat_id: int):
    """The seat and its vacancy, or 404 when there is no such seat on the board."""
    seat = db.session.get(Seat, seat_id)
    vacancy = vacancy_of(seat, paris_today()) if seat is not None and seat.kind in services.BOARD_SEAT_KINDS else None
    if vacancy is None:
        abort(404)
    vacancy.seat = seat
    return seat, vacancy


@bp.route("/sieges-vacants/<int:seat_id>/interet", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config.get("RATELIMIT_SEAT_INTEREST", INTEREST_RATE_LIMIT), methods=["POST"])
def seat_interest(seat_id: int):
    seat, vacancy = _load_board_seat(seat_id)
    form = InterestForm()
    already = bool(services.interested_in([seat.id], current_user))
    if form.validate_on_submit():
        try:
            services.express_interest(seat, current_user, form.message.data or "", by=current_user)
            db.session.commit()
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except services.AlreadyInterested as kind_refusal:
            db.session.rollback()
            flash(str(kind_refusal.message), "info")
            return redirect(url_for("mandates.board"), 303)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            deliver_immediate()
            flash(_("Thank you! The approved associations of this territory are told: they will write "
                    "to you at your e-mail address."), "success")
            return redirect(url_for("mandates.board"), 303)
    return render_template("mandates/board/interest.html", form=form, seat=seat, vacancy=vacancy,
                           already=already, seat_kind_labels=SEAT_KIND_LABELS), form_status(form)
