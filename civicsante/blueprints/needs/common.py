"""Pieces the needs routes share: loaders that answer 404, the NotAllowed → 403 rule, one-click
actions, the choices of the select boxes, and what every needs template may use."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, request, url_for
from flask_babel import get_locale, ngettext
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from civicsante.accounts.models import User
from civicsante.blueprints.forms import EmptyForm, submit
from civicsante.blueprints.main.routes import safe_next
from civicsante.cache import NEEDS, generation, kept, kept_copies
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.jinja import date_filter
from civicsante.needs import policy
from civicsante.needs.models import (
    CHANNEL_LABELS,
    FUSIONNE,
    STATUS_LABELS,
    Comment,
    Need,
    NeedCategory,
    Support,
)
from civicsante.needs.search import search_terms, similar_needs
from civicsante.notifications.services import deliver_immediate
from civicsante.reference.models import TERRITORY_KIND_LABELS, Territory

from . import bp


def _status_labels() -> dict[str, str]:
    # Translated once per page, not once per need of the list (they are lazy strings).
    return {code: str(label) for code, label in STATUS_LABELS.items()}


@bp.context_processor
def _needs_context():
    return {"status_labels": _status_labels(),
            "channel_labels": CHANNEL_LABELS, "needs_policy": policy,
            "takes_contributions": takes_contributions}


@dataclass(frozen=True, slots=True)
class NeedCard:
    """What a card of the needs list shows, as text: the same for every visitor (whether the
    visitor supports the need is looked up apart), so that a page of cards may be kept."""

    id: int
    url: str
    title: str
    category: str
    territory: str
    status: str
    status_label: str
    created_at: str
    supports: str
    comments: str


def need_cards(needs) -> tuple[NeedCard, ...]:
    """The cards of a page of the list, prepared in one pass: in the template, each function call
    (a link, two plurals, a label, a date per card) went through Jinja's call machinery, which
    cost more than the functions: 3 ms of a 25-card page, 0.3 ms here."""
    locale = str(get_locale())
    detail = url_for("needs.detail", need_id=0).removesuffix("0")  # "…/besoins/" + id
    statuses = _status_labels()
    return tuple(NeedCard(
        id=need.id, url=f"{detail}{need.id}", title=need.title, category=need.category.label(locale),
        territory=need.territory.name, status=need.status, status_label=statuses[need.status],
        created_at=date_filter(need.created_at),
        supports=ngettext("%(num)s support", "%(num)s supports", need.supports_count),
        comments=ngettext("%(num)s comment", "%(num)s comments", need.comments_count))
        for need in needs)


@dataclass(frozen=True, slots=True)
class SimilarCard:
    """A similar need as the suggestions name it: the same for every visitor, so it may be kept."""

    id: int
    title: str
    territory_name: str
    supports_count: int


# Similar needs, pages of the list and the select boxes' choices kept per worker
# (civicsante/cache.py): a few hundred entries of 1 to 30 kB.
KEPT_NEEDS = 512


def similar_cards(title: str, territory_id: int | None) -> tuple[SimilarCard, ...]:
    """The similar needs shown while a title is typed (and before publishing, without
    JavaScript), kept per typed words and territory until a need, a category or a territory
    changes."""
    terms = search_terms(title)
    if not terms:
        return ()

    def find() -> tuple[SimilarCard, ...]:
        return tuple(SimilarCard(id=n.id, title=n.title, territory_name=n.territory.name,
                                 supports_count=n.supports_count)
                     for n in similar_needs(title, territory_id, authors=False))

    return kept(kept_copies(NEEDS, KEPT_NEEDS), generation(NEEDS), ("similar", tuple(terms), territory_id), find)


# The need's author comes with it (shown by pseudonym), without their roles: read only if asked.
NEED_OPTIONS = (joinedload(Need.author).lazyload(User.roles),)


def load_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id, options=NEED_OPTIONS)
    if need is None:
        abort(404)
    return need


def load_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    return comment


def takes_contributions(need: Need) -> bool:
    """Whether to show the support and comment controls (services._open_for_contributions is the
    rule that actually refuses)."""
    return not need.hidden and need.status != FUSIONNE


def forbidden_when_not_allowed(action):
    """A service's NotAllowed is a 403, not a message next to a field (DESIGN.md §7)."""
    def run():
        try:
            return action()
        except NotAllowed:
            db.session.rollback()
            abort(403)
    return run


def act(form, action, *, done, redirect_to, notify: bool = False):
    """``submit`` (validate, run the service, commit, flash, 303) with NotAllowed answered 403.
    With ``notify``, the people who chose immediate e-mails are written to once it is committed."""
    response = submit(form, forbidden_when_not_allowed(action), done=done, redirect_to=redirect_to)
    if response is not None and notify:
        deliver_immediate()
    return response


def one_click(action, *, done, redirect_to: str):
    """A one-button POST (support, follow, restore…): run the service, commit, say so, go back.
    A refusal is flashed; NotAllowed is a 403."""
    if EmptyForm().validate_on_submit():
        try:
            forbidden_when_not_allowed(action)()
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            if done:
                flash(done, "success")
    return redirect(redirect_to, 303)


def back_to(default: str) -> str:
    """Where a form asked to go back to (``next``), when it is a path of this site."""
    return safe_next(request.values.get("next"), default)


def category_choices(locale: str) -> list[tuple[int, str]]:
    rows = db.session.execute(select(NeedCategory).where(NeedCategory.active.is_(True))
                              .order_by(NeedCategory.position, NeedCategory.id)).scalars()
    return [(c.id, c.label(locale)) for c in rows]


def facilitated_territory_ids(user):
    """A subquery of the ids of every territory ``user`` facilitates, sub-territories included."""
    paths = policy.facilitated_territory_paths(user)
    return select(Territory.id).where(or_(*(Territory.path.startswith(p) for p in paths)) if paths
                                      else Territory.id.is_(None))


def facilitated_territory_choices(user) -> list[tuple[int, str]]:
    rows = db.session.execute(select(Territory.id, Territory.name, Territory.kind)
                              .where(Territory.id.in_(facilitated_territory_ids(user)))
                              .order_by(Territory.path))
    return [(row.id, f"{row.name} ({TERRITORY_KIND_LABELS[row.kind]})") for row in rows]


def supported_among(need_ids: list[int], user) -> set[int]:
    """Which of these needs ``user`` supports: one query for a whole page of the list."""
    if not need_ids or not policy.can_contribute(user):
        return set()
    return set(db.session.execute(select(Support.need_id).where(
        Support.user_id == user.id, Support.need_id.in_(need_ids))).scalars())
