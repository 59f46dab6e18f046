"""Residents' side of the needs: browse, read, submit (with similar needs first), support,
follow, comment, report."""
from __future__ import annotations

from math import ceil

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from civicsante.blueprints.forms import EmptyForm, form_status
from civicsante.blueprints.rendering import PageOf, paginate, render_page_or_partial
from civicsante.cache import NEEDS, generation, kept, kept_copies
from civicsante.errors import DomainError
from civicsante.extensions import db, htmx
from civicsante.needs import policy, services
from civicsante.needs.models import FUSIONNE, STATUS_LABELS, STATUSES, Comment, Need
from civicsante.needs.search import SORTS, filter_needs, visible_needs
from civicsante.reference.services import territory_choices

from . import bp
from .common import (
    KEPT_NEEDS,
    act,
    back_to,
    category_choices,
    forbidden_when_not_allowed,
    load_comment,
    load_need,
    need_cards,
    one_click,
    similar_cards,
    supported_among,
)
from .forms import CommentForm, NeedFilterForm, NeedForm, ReportForm
from .page import NeedPage, need_page

# A chain of merges (A into B, then B into C) is followed this far at most.
MAX_MERGE_HOPS = 10


# Browse ---------------------------------------------------------------------------------------

@bp.get("/besoins")
def index():
    locale = str(get_locale())
    version = generation(NEEDS)  # the same for everything kept below: one read
    store = kept_copies(NEEDS, KEPT_NEEDS)
    form = NeedFilterForm(formdata=request.args)
    form.territory_id.choices = [("", _("All territories"))] + kept(
        store, version, ("territories", locale), territory_choices)
    form.category_id.choices = [("", _("All categories"))] + kept(
        store, version, ("categories", locale), lambda: category_choices(locale))
    # Merged needs never appear in the list: they live on in the need they were merged into.
    form.status.choices = [("", _("All statuses"))] + [(s, STATUS_LABELS[s]) for s in STATUSES if s != FUSIONNE]
    filters = dict(territory_id=form.territory_id.data, category_id=form.category_id.data,
                   status=form.status.data if form.status.data in STATUSES else None,
                   q=(form.q.data or "").strip(), sort=form.sort.data if form.sort.data in SORTS else "recent")

    def list_page() -> PageOf:
        # The cards do not name the author: no join to the accounts (and their roles).
        page = paginate(filter_needs(visible_needs(), **filters).options(lazyload(Need.author)))
        return PageOf.of(page, need_cards(page.items))

    # What paginate reads from the request is in the key as it was sent.
    page = kept(store, version, ("page", locale, request.script_root, tuple(filters.values()),
                                 request.args.get("page"), request.args.get("per_page")), list_page)
    supported = supported_among([card.id for card in page.items], current_user)
    return render_page_or_partial("needs/index.html", "needs/_results.html", form=form, page=page,
                                  cards=page.items, supported=supported,
                                  can_moderate_somewhere=bool(policy.facilitated_territory_paths(current_user)))


# Read -----------------------------------------------------------------------------------------

@bp.get("/besoins/<int:need_id>")
def detail(need_id: int):
    page = need_page(need_id, str(get_locale()))
    if page is None:
        abort(404)
    if page.need.merged_into_id is not None:
        kept = load_need(need_id)
        for _hop in range(MAX_MERGE_HOPS):
            if kept.merged_into_id is None:
                break
            kept = load_need(kept.merged_into_id)
        flash(_("The need “%(title)s” was merged into this one, which gathers its supports and followers.",
                title=page.need.title), "info")
        return redirect(url_for("needs.detail", need_id=kept.id), 303)
    return _render_detail(page, CommentForm())


def _render_detail(page: NeedPage, comment_form, status: int = 200):
    """The page of a need: what everyone sees (``page``, kept), and what this visitor may do."""
    need = page.need
    return render_template(
        "needs/detail.html", need=need, timeline=page.timeline, comments=page.comments,
        comment_form=comment_form, readable=policy.can_view(current_user, need),
        moderator=policy.can_moderate(current_user, need),
        supported=services.has_supported(need, current_user),
        following=services.is_following(need, current_user),
    ), status


# Submit ---------------------------------------------------------------------------------------

def _need_form() -> NeedForm:
    form = NeedForm()
    form.category_id.choices = [("", _("Choose a category"))] + category_choices(str(get_locale()))
    form.territory_id.choices = [("", _("Choose a territory"))] + territory_choices()
    if request.method == "GET" and form.territory_id.data is None:
        form.territory_id.data = current_user.home_territory_id
    return form


@bp.route("/besoins/nouveau", methods=["GET", "POST"])
@login_required
def new():
    form = _need_form()
    if form.is_submitted() and form.validate() and form.confirmed.data != "1":
        # Without JavaScript, the similar needs come as a step before publishing.
        similar = similar_cards(form.title.data, form.territory_id.data)
        if similar:
            return render_template("needs/new.html", form=form, similar=similar, confirming=True)
    created = {}

    def publish():
        created["need"] = services.submit_need(
            current_user, title=form.title.data, description=form.description.data,
            category_id=form.category_id.data, territory_id=form.territory_id.data,
            public_concerned=form.public_concerned.data, consent=form.consent.data)

    if act(form, publish, done=_("Your need is published. Thank you!"), redirect_to=url_for("needs.index")) is None:
        return render_template("needs/new.html", form=form, similar=[], confirming=False), form_status(form)
    return redirect(url_for("needs.detail", need_id=created["need"].id), 303)


@bp.get("/besoins/similaires")
def similar():
    """Needs resembling the title being typed, in the territory and the territories around it."""
    title = (request.args.get("title") or "").strip()
    territory_id = request.args.get("territory_id", type=int)
    needs = similar_cards(title, territory_id)
    return render_page_or_partial("needs/similar.html", "needs/_similar.html", similar=needs, title=title,
                                  territory_id=territory_id)


# Support and follow ---------------------------------------------------------------------------

@bp.post("/besoins/<int:need_id>/soutenir")
@login_required
def support(need_id: int):
    need = load_need(need_id)
    return _support_answer(need, lambda: services.support(need, current_user),
                           _("Thank you, your support is counted."))


@bp.post("/besoins/<int:need_id>/retirer-soutien")
@login_required
def withdraw_support(need_id: int):
    need = load_need(need_id)
    return _support_answer(need, lambda: services.withdraw_support(need, current_user),
                           _("Your support has been withdrawn."))


def _support_answer(need, action, done: str):
    """htmx swaps the support box in place (new count, the other button); without JavaScript the
    browser is sent back to the page it came from."""
    error = None
    if EmptyForm().validate_on_submit():
        try:
            forbidden_when_not_allowed(action)()
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
    if htmx and not htmx.boosted:
        db.session.refresh(need)
        return render_template("needs/_support.html", need=need, support_error=error,
                               supported=services.has_supported(need, current_user)), 422 if error else 200
    flash(str(error) if error else done, "error" if error else "success")
    return redirect(back_to(url_for("needs.detail", need_id=need.id)), 303)


@bp.post("/besoins/<int:need_id>/suivre")
@login_required
def follow(need_id: int):
    need = load_need(need_id)
    return one_click(lambda: services.follow(need, current_user),
                     done=_("You follow this need: you will be told what becomes of it."),
                     redirect_to=url_for("needs.detail", need_id=need.id))


@bp.post("/besoins/<int:need_id>/ne-plus-suivre")
@login_required
def unfollow(need_id: int):
    need = load_need(need_id)
    return one_click(lambda: services.unfollow(need, current_user), done=_("You no longer follow this need."),
                     redirect_to=url_for("needs.detail", need_id=need.id))


# Comments -------------------------------------------------------------------------------------

@bp.post("/besoins/<int:need_id>/commentaires")
@login_required
def comment(need_id: int):
    need = load_need(need_id)
    form = CommentForm()
    # Comments are oldest first: the new one lands on the last page.
    total = db.session.execute(select(func.count()).select_from(Comment)
                               .where(Comment.need_id == need.id)).scalar_one()
    last_page = max(1, ceil((total + 1) / current_app.config["PAGE_SIZE"]))
    return (act(form, lambda: services.add_comment(need, current_user, form.body.data),
                done=_("Your comment is published."),
                redirect_to=url_for("needs.detail", need_id=need.id, page=last_page if last_page > 1 else None,
                                    _anchor="comments"))
            or _render_detail(need_page(need.id, str(get_locale())), form, form_status(form)))


@bp.route("/commentaires/<int:comment_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    comment = load_comment(comment_id)
    if not policy.can_edit_comment(current_user, comment):
        abort(403)
    need = load_need(comment.need_id)
    form = CommentForm(obj=comment)
    return (act(form, lambda: services.edit_comment(comment, current_user, form.body.data),
                done=_("Your comment has been changed."),
                redirect_to=url_for("needs.detail", need_id=need.id, _anchor=f"comment-{comment.id}"))
            or (render_template("needs/comment_edit.html", form=form, comment=comment, need=need),
                form_status(form)))


@bp.post("/commentaires/<int:comment_id>/supprimer")
@login_required
def delete_comment(comment_id: int):
    comment = load_comment(comment_id)
    if not policy.can_delete_comment(current_user, comment):
        abort(403)
    return one_click(lambda: services.delete_comment(comment, current_user),
                     done=_("Your comment has been deleted."),
                     redirect_to=url_for("needs.detail", need_id=comment.need_id, _anchor="comments"))


# Reports --------------------------------------------------------------------------------------

@bp.route("/besoins/<int:need_id>/signaler", methods=["GET", "POST"])
@login_required
def report_need(need_id: int):
    need = load_need(need_id)
    return _report(need, need, _("Report this need"))


@bp.route("/commentaires/<int:comment_id>/signaler", methods=["GET", "POST"])
@login_required
def report_comment(comment_id: int):
    comment = load_comment(comment_id)
    return _report(comment, load_need(comment.need_id), _("Report this comment"))


def _report(target, need, heading: str):
    form = ReportForm()
    return (act(form, lambda: services.report(target, current_user, form.reason.data,
                                              auto_hide_after=current_app.config["NEED_AUTO_HIDE_REPORTS"]),
                done=_("Thank you. The facilitators of this territory will look at your report."),
                redirect_to=url_for("needs.detail", need_id=need.id))
            or (render_template("needs/report.html", form=form, target=target, need=need, heading=heading),
                form_status(form)))
