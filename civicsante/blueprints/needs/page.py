"""What a need's page shows to every visitor, as plain values kept per worker.

The page is the most read one of the needs area (every link of the list, of a notification, of a
search engine leads to it), and what it shows changes seldom: the need, its status history and
its comments. Loading them took three statements and the ORM's work on each (a quarter of a
request on PostgreSQL, where each round trip shares the two cores with the database); a kept copy
takes one read of the ``need_pages`` generation (civicsante/cache.py), which the database moves
with every write to what is below, whoever writes it.

Everything that depends on the visitor is decided on each request, on these values, by the same
policies as before: whether they may read a hidden need or comment, moderate, edit or delete a
comment (a quarter-hour window, measured at each request), whether they support or follow the
need. The copy therefore holds the hidden texts too: the template shows them only to whom the
policy lets read them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import request
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civicsante.accounts.models import User
from civicsante.blueprints.rendering import PageOf, paginate
from civicsante.cache import NEED_PAGES, generation, kept, kept_copies
from civicsante.extensions import db
from civicsante.jinja import date_filter, datetime_filter, linkify
from civicsante.needs.models import Comment, Need, StatusChange

from .common import NEED_OPTIONS

# A kept page is 2 to 40 kB (a page of 20 comments at most): a few MB per worker at most.
KEPT_NEED_PAGES = 256


@dataclass(frozen=True, slots=True)
class PageTerritory:
    """The need's territory: its name is shown, its path tells who moderates the need."""

    id: int
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class PageNeed:
    """The need as its page shows it. The attributes the policies read (``hidden``,
    ``author_id``, ``territory.path``, ``status``) have the model's names, so that
    ``civicsante.needs.policy`` decides on a kept need as on a loaded one."""

    id: int
    title: str
    description_html: Markup
    public_concerned: str | None
    status: str
    published_on: str
    hidden: bool
    pending_review: bool
    hidden_reason: str | None
    author_id: int | None
    author_name: str | None  # None: the account was deleted
    is_assisted: bool
    channel: str
    supports_count: int
    comments_count: int
    merged_into_id: int | None
    territory: PageTerritory
    category_label: str


@dataclass(frozen=True, slots=True)
class PageStep:
    """A step of the need's status history."""

    to_status: str
    at: datetime
    on: str
    reason_html: Markup | None


@dataclass(frozen=True, slots=True)
class PageComment:
    """A comment, with the attributes ``policy.can_edit_comment`` and ``can_delete_comment`` read."""

    id: int
    author_id: int | None
    author_name: str | None
    body_html: Markup
    created_at: datetime
    written_on: str
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden: bool
    pending_review: bool
    hidden_reason: str | None


@dataclass(frozen=True, slots=True)
class NeedPage:
    need: PageNeed
    timeline: tuple[PageStep, ...]
    comments: PageOf  # of PageComment


def _page_need(need: Need, locale: str) -> PageNeed:
    territory = need.territory
    return PageNeed(
        id=need.id, title=need.title, description_html=linkify(need.description),
        public_concerned=need.public_concerned, status=need.status, published_on=date_filter(need.created_at),
        hidden=need.hidden, pending_review=need.pending_review, hidden_reason=need.hidden_reason,
        author_id=need.author_id, author_name=need.author.public_name if need.author else None,
        is_assisted=need.is_assisted, channel=need.channel, supports_count=need.supports_count,
        comments_count=need.comments_count, merged_into_id=need.merged_into_id,
        territory=PageTerritory(id=territory.id, name=territory.name, path=territory.path),
        category_label=need.category.label(locale))


def _page_comment(comment: Comment) -> PageComment:
    return PageComment(
        id=comment.id, author_id=comment.author_id,
        author_name=comment.author.public_name if comment.author else None,
        body_html=linkify(comment.body), created_at=comment.created_at,
        written_on=datetime_filter(comment.created_at), edited_at=comment.edited_at,
        deleted_at=comment.deleted_at, hidden=comment.hidden, pending_review=comment.pending_review,
        hidden_reason=comment.hidden_reason)


def _load_page(need_id: int, locale: str) -> NeedPage | None:
    need = db.session.get(Need, need_id, options=NEED_OPTIONS)
    if need is None:
        return None
    timeline = db.session.execute(select(StatusChange).where(StatusChange.need_id == need.id)
                                  .order_by(StatusChange.at, StatusChange.id)).scalars().all()
    comments = paginate(select(Comment).where(Comment.need_id == need.id)
                        # (shown by their public name: their roles would be one more query)
                        .options(joinedload(Comment.author).lazyload(User.roles))
                        .order_by(Comment.created_at, Comment.id))
    return NeedPage(
        need=_page_need(need, locale),
        timeline=tuple(PageStep(to_status=step.to_status, at=step.at, on=date_filter(step.at),
                                reason_html=linkify(step.reason) if step.reason else None)
                       for step in timeline),
        comments=PageOf.of(comments, tuple(map(_page_comment, comments.items))))


def need_page(need_id: int, locale: str) -> NeedPage | None:
    """The page of need ``need_id`` (the page of comments the request asks for), or None when
    there is no such need. Kept per worker until the ``need_pages`` generation moves; the key
    holds the language of the dates and labels, and what ``paginate`` reads from the request as
    it was sent (the copy holds no address)."""
    return kept(kept_copies(NEED_PAGES, KEPT_NEED_PAGES), generation(NEED_PAGES),
                ("page", need_id, locale, request.args.get("page"), request.args.get("per_page")),
                lambda: _load_page(need_id, locale))
