"""Facilitators' side: the queue of reported items of their territories, hide and restore with a
public reason, status changes with a public explanation, merging duplicates. The services write
the audit rows."""
from __future__ import annotations

from collections import defaultdict

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import exists, or_, select

from civicsante.accounts.models import FACILITATOR
from civicsante.blueprints.forms import form_status
from civicsante.blueprints.rendering import paginate
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.needs import policy, services
from civicsante.needs.models import STATUS_LABELS, STATUSES, AbuseReport, Comment, Need
from civicsante.needs.search import filter_needs, similar_needs, visible_needs

from . import bp
from .common import act, back_to, facilitated_territory_ids, load_comment, load_need, one_click
from .forms import HideForm, MergeForm, StatusForm

MERGE_CANDIDATES = 10


def _unresolved_reports(column):
    return exists().where(column, AbuseReport.resolved_at.is_(None))


def _queue(user):
    """Needs of the facilitator's territories waiting for a decision: hidden automatically
    pending review, or reported — themselves or through one of their comments."""
    flagged_comment = exists().where(
        Comment.need_id == Need.id,
        or_(Comment.pending_review.is_(True), _unresolved_reports(AbuseReport.comment_id == Comment.id)))
    return (select(Need)
            .where(Need.territory_id.in_(facilitated_territory_ids(user)),
                   or_(Need.pending_review.is_(True), _unresolved_reports(AbuseReport.need_id == Need.id),
                       flagged_comment))
            .order_by(Need.pending_review.desc(), Need.id.desc()))


@bp.get("/moderation")
@login_required
def moderation():
    if not policy.facilitated_territory_paths(current_user):
        abort(403)
    page = paginate(_queue(current_user))
    ids = [n.id for n in page.items]
    # What each need of the page is reported for: two queries for the whole page.
    comments = db.session.execute(
        select(Comment).where(Comment.need_id.in_(ids), or_(
            Comment.pending_review.is_(True), _unresolved_reports(AbuseReport.comment_id == Comment.id)))
        .order_by(Comment.created_at)).scalars().all()
    reports = db.session.execute(
        select(AbuseReport).where(AbuseReport.resolved_at.is_(None), or_(
            AbuseReport.need_id.in_(ids), AbuseReport.comment_id.in_([c.id for c in comments])))
        .order_by(AbuseReport.created_at)).scalars().all()
    need_reports, comment_reports, flagged_comments = defaultdict(list), defaultdict(list), defaultdict(list)
    for report in reports:
        (need_reports[report.need_id] if report.need_id else comment_reports[report.comment_id]).append(report)
    for comment in comments:
        flagged_comments[comment.need_id].append(comment)
    territories = sorted((r.territory for r in current_user.roles if r.role == FACILITATOR and r.territory),
                         key=lambda t: t.path)
    return render_template("needs/moderation.html", page=page, need_reports=need_reports,
                           comment_reports=comment_reports, flagged_comments=flagged_comments,
                           territories=territories)


# Hide and restore -----------------------------------------------------------------------------

def _moderated_need(need_id: int) -> Need:
    need = load_need(need_id)
    if not policy.can_moderate(current_user, need):
        abort(403)
    return need


@bp.route("/besoins/<int:need_id>/masquer", methods=["GET", "POST"])
@login_required
def hide(need_id: int):
    need = _moderated_need(need_id)
    form = HideForm()
    return (act(form, lambda: services.hide(need, current_user, form.reason.data),
                done=_("The need is hidden; the reason is shown in its place."),
                redirect_to=back_to(url_for("needs.detail", need_id=need.id)))
            or (render_template("needs/hide.html", form=form, need=need, comment=None), form_status(form)))


@bp.post("/besoins/<int:need_id>/retablir")
@login_required
def restore(need_id: int):
    need = _moderated_need(need_id)
    return one_click(lambda: services.restore(need, current_user), done=_("The need is visible again."),
                     redirect_to=back_to(url_for("needs.detail", need_id=need.id)))


def _moderated_comment(comment_id: int) -> tuple[Comment, Need]:
    comment = load_comment(comment_id)
    need = load_need(comment.need_id)
    if not policy.can_moderate(current_user, need):
        abort(403)
    return comment, need


@bp.route("/commentaires/<int:comment_id>/masquer", methods=["GET", "POST"])
@login_required
def hide_comment(comment_id: int):
    comment, need = _moderated_comment(comment_id)
    form = HideForm()
    return (act(form, lambda: services.hide(comment, current_user, form.reason.data),
                done=_("The comment is hidden; the reason is shown in its place."),
                redirect_to=back_to(url_for("needs.detail", need_id=need.id, _anchor=f"comment-{comment.id}")))
            or (render_template("needs/hide.html", form=form, need=need, comment=comment), form_status(form)))


@bp.post("/commentaires/<int:comment_id>/retablir")
@login_required
def restore_comment(comment_id: int):
    comment, need = _moderated_comment(comment_id)
    return one_click(lambda: services.restore(comment, current_user), done=_("The comment is visible again."),
                     redirect_to=back_to(url_for("needs.detail", need_id=need.id, _anchor=f"comment-{comment.id}")))


# Status and merge -----------------------------------------------------------------------------

@bp.route("/besoins/<int:need_id>/statut", methods=["GET", "POST"])
@login_required
def set_status(need_id: int):
    need = _moderated_need(need_id)
    form = StatusForm()
    # Only the statuses that may follow the current one (services.TRANSITIONS).
    form.status.choices = [(s, STATUS_LABELS[s]) for s in STATUSES if s in services.TRANSITIONS[need.status]]
    return (act(form, lambda: services.set_status(need, form.status.data, current_user, form.reason.data),
                done=_("The status has been changed; the people following the need are told."),
                redirect_to=url_for("needs.detail", need_id=need.id), notify=True)
            or (render_template("needs/status.html", form=form, need=need,
                                reason_required=services.REASON_REQUIRED), form_status(form)))


@bp.route("/besoins/<int:need_id>/fusionner", methods=["GET", "POST"])
@login_required
def merge(need_id: int):
    source = _moderated_need(need_id)
    q = (request.values.get("q") or "").strip()
    candidates = _merge_candidates(source, q)
    form = MergeForm()
    form.target_id.choices = [(n.id, n.title) for n in candidates]

    def merge_into_chosen():
        target = db.session.get(Need, form.target_id.data)
        if target is None or not policy.can_view(current_user, target):
            raise DomainError(_("No need has this number."), "target_id")
        services.merge_needs(source, target, current_user, form.reason.data)

    return (act(form, merge_into_chosen,
                done=_("The needs are merged; the people who followed the duplicate are told."),
                redirect_to=url_for("needs.detail", need_id=form.target_id.data or source.id), notify=True)
            or (render_template("needs/merge.html", form=form, need=source, candidates=candidates, q=q),
                form_status(form)))


def _merge_candidates(source: Need, q: str) -> list[Need]:
    """Needs the facilitator may keep instead of ``source``: the one whose number is typed, the
    ones matching the words typed, or by default those resembling it."""
    mine = visible_needs().where(Need.id != source.id, Need.territory_id.in_(facilitated_territory_ids(current_user)))
    if q.lstrip("#").isdigit():
        query = mine.where(Need.id == int(q.lstrip("#")))
    elif q:
        query = filter_needs(mine, q=q)
    else:
        similar = [n for n in similar_needs(source.title, source.territory_id, limit=MERGE_CANDIDATES + 1)
                   if n.id != source.id and policy.can_moderate(current_user, n)]
        if similar:
            return similar[:MERGE_CANDIDATES]
        query = filter_needs(mine, territory_id=source.territory_id)
    return db.session.execute(query.limit(MERGE_CANDIDATES)).scalars().all()
