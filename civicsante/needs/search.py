"""Finding needs: filters for the public list and "similar needs" while a title is typed.

Text is matched on ``Need.search_text`` (lower-case, unaccented), so searches are case- and
accent-insensitive on both databases.
"""
from __future__ import annotations

from sqlalchemy import Select, and_, or_, select

from civicsante.extensions import db
from civicsante.needs.models import FUSIONNE, Need
from civicsante.reference.models import Territory
from civicsante.text import normalise_for_search

SORTS = ("recent", "soutiens")


def _terms(text: str) -> list[str]:
    # Words of 3 letters or more: shorter ones ("de", "la") match everything.
    return [w for w in normalise_for_search(text).split() if len(w) >= 3][:8]


def visible_needs() -> Select:
    return select(Need).where(Need.hidden.is_(False), Need.status != FUSIONNE)


def filter_needs(query: Select, *, territory_id: int | None = None, category_id: int | None = None,
                 status: str | None = None, q: str | None = None, sort: str = "recent") -> Select:
    """Narrow ``query`` (a select of Need) by territory — including every sub-territory —,
    category, status and words of the text (all must appear), then sort."""
    if territory_id:
        territory = db.session.get(Territory, territory_id)
        if territory is not None:
            inside = select(Territory.id).where(Territory.path.startswith(territory.path))
            query = query.where(Need.territory_id.in_(inside))
    if category_id:
        query = query.where(Need.category_id == category_id)
    if status:
        query = query.where(Need.status == status)
    terms = _terms(q or "")
    if terms:
        query = query.where(and_(*(Need.search_text.contains(t, autoescape=True) for t in terms)))
    if sort == "soutiens":
        return query.order_by(Need.supports_count.desc(), Need.id.desc())
    return query.order_by(Need.created_at.desc(), Need.id.desc())


def similar_needs(text: str, territory_id: int | None, limit: int = 5) -> list[Need]:
    """Up to ``limit`` visible needs of the territory (and the territories around it: its
    parent's whole subtree) sharing words with ``text``, most shared words first."""
    terms = _terms(text)
    if not terms:
        return []
    query = visible_needs().where(or_(*(Need.search_text.contains(t, autoescape=True) for t in terms)))
    territory = db.session.get(Territory, territory_id) if territory_id else None
    if territory is not None:
        scope = territory.parent.path if territory.parent is not None else territory.path
        query = query.where(Need.territory_id.in_(select(Territory.id).where(Territory.path.startswith(scope))))
    candidates = db.session.execute(query.order_by(Need.supports_count.desc()).limit(50)).scalars().all()
    ranked = sorted(candidates, key=lambda n: -sum(t in n.search_text for t in terms))
    return ranked[:limit]
