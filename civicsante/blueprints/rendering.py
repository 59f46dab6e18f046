"""One way for every route to answer htmx requests (DESIGN.md §7)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from sqlalchemy import func, or_, select

from civicsante.extensions import db, htmx


def render_page_or_partial(page_template: str, partial_template: str, **context) -> str:
    """The full page, or only its partial for an htmx request that is not a boosted navigation
    nor a history restore (going Back re-fetches the URL and needs the whole page).

    The page includes the same partial, so both paths render the same markup; the security
    headers add ``Vary: HX-Request`` so no cache serves one in place of the other.
    """
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return render_template(partial_template, **context)
    return render_template(page_template, **context)


def search(query, q: str, *columns):
    """Narrow ``query`` to rows where any of ``columns`` contains ``q`` (case-insensitive;
    % and _ typed by the user are literal)."""
    if q:
        query = query.where(or_(*(column.icontains(q, autoescape=True) for column in columns)))
    return query


def paginate(query, per_page: int | None = None):
    """The page the request asks for (``?page=``, ``?per_page=``) of ``query``, with its total.

    The rows are read first; the count query runs only when the page is full, or empty past the
    first page. Otherwise the total is already known — the rows of the pages before plus this
    one's — which spares most short lists (a need's comments, a person's notifications) a query."""
    page = db.paginate(query, per_page=per_page or current_app.config["PAGE_SIZE"], error_out=False,
                       count=False)
    if len(page.items) < page.per_page and (page.items or page.page == 1):
        page.total = (page.page - 1) * page.per_page + len(page.items)
    else:
        page.total = db.session.execute(
            select(func.count()).select_from(query.order_by(None).subquery())).scalar()
    return page


@dataclass(frozen=True, slots=True)
class PageOf:
    """A page of a list as the pagination macro reads it, without the query and the session
    behind it: what a kept copy of the page holds (civicsante/cache.py)."""

    items: tuple
    page: int
    per_page: int
    total: int
    pages: int
    has_prev: bool
    has_next: bool
    prev_num: int | None
    next_num: int | None

    @classmethod
    def of(cls, pagination, items: tuple[Any, ...]) -> PageOf:
        """``pagination``'s page, with ``items`` in place of the rows it loaded."""
        return cls(items=items, page=pagination.page, per_page=pagination.per_page,
                   total=pagination.total, pages=pagination.pages, has_prev=pagination.has_prev,
                   has_next=pagination.has_next, prev_num=pagination.prev_num,
                   next_num=pagination.next_num)
