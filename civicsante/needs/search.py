"""Finding needs: filters for the public list and "similar needs" while a title is typed.

Text is matched on ``Need.search_text`` (lower-case, unaccented: civicsante/text.py), and a query
is normalised the same way, so searches are case- and accent-insensitive on both databases. The
indexes come from migration 0003:

- SQLite: the FTS5 table ``need_fts`` (trigram tokenizer, external content over ``need``), so a
  quoted word matches wherever it appears inside the text, as a substring; among needs that
  contain as many of the typed words, similar needs found everywhere are ranked by ``bm25``.
  Similar needs around a territory are read from the index ``ix_need_similar`` (migration 0008:
  territory, visibility, supports and text), ranked by the words they contain, then supports.
- PostgreSQL: a pg_trgm GIN index on ``search_text``, which serves ``LIKE '%word%'``; among the
  needs that contain as many of the typed words, similar needs are ranked by ``word_similarity``
  (how well the typed text matches some stretch of the need's text, whatever the length of its
  description).

Words shorter than 3 characters are ignored: a trigram index cannot look them up, and "de" or
"la" would match nearly everything anyway; so are a few French words that say nothing about a
need ("pas", "pour", "dans"…: STOP_WORDS).
"""
from __future__ import annotations

import operator
from functools import reduce

from sqlalchemy import ColumnElement, Select, and_, any_, case, func, literal_column, or_, select, table
from sqlalchemy.orm import lazyload

from civicsante.extensions import db
from civicsante.needs.models import FUSIONNE, Need
from civicsante.reference.models import Territory
from civicsante.text import normalise_for_search

SORTS = ("recent", "soutiens")
MAX_TERMS = 8
# PostgreSQL: similar needs are ranked by word_similarity among this many candidates at most —
# those containing the most typed words, the most supported first.
SIMILARITY_CANDIDATES = 50

_fts = table("need_fts")
_fts_rowid = literal_column("need_fts.rowid")
_fts_table = literal_column("need_fts")


# French words of 3 letters or more that say nothing about a need (normalised: no accents).
# Left out of searches: with a substring index, "pas" also finds "passage", "repas", "pastille"…
STOP_WORDS = frozenset(["les", "des", "une", "aux", "par", "pour", "sur", "sous", "dans", "avec", "chez", "entre", "vers", "pas", "plus", "moins", "tres", "trop", "peu", "que", "qui", "quoi", "dont", "est", "sont", "ont", "etait", "etre", "avoir", "fait", "faire", "nous", "vous", "ils", "elle", "elles", "leur", "leurs", "notre", "nos", "votre", "vos", "mon", "ton", "son", "mes", "tes", "ses", "cette", "ces", "cet", "celui", "celle", "mais", "donc", "car", "comme", "tout", "tous", "toute", "toutes", "aussi", "encore", "depuis", "quand", "alors", "ici"])


def search_terms(text: str) -> list[str]:
    """The words of ``text`` a search looks for: normalised, 3 letters or more, no stop word,
    each once, at most MAX_TERMS."""
    # Words of 3 letters or more: shorter ones ("de", "la") match everything.
    words = [w for w in normalise_for_search(text).split() if len(w) >= 3 and w not in STOP_WORDS]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _fts_query(terms: list[str], joiner: str) -> str:
    """An FTS5 query: each word as a quoted string (so "l'hôpital" or a stray quote is text, not
    syntax), joined by AND or OR."""
    return f" {joiner} ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _fts_match(terms: list[str], joiner: str) -> ColumnElement[bool]:
    return _fts_table.match(_fts_query(terms, joiner))


def _pattern(term: str) -> str:
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _contains(term: str) -> ColumnElement[bool]:
    """``search_text LIKE '%term%'``: on PostgreSQL the trigram GIN index serves it. Both sides
    are normalised (lower-case, unaccented) already, so LIKE finds what ILIKE would, without
    lower-casing every candidate row when the index's matches are rechecked."""
    return Need.search_text.like(_pattern(term), escape="/")


def _words_found(terms: list[str]) -> ColumnElement[int]:
    """How many of ``terms`` the need's text contains."""
    return reduce(operator.add, [case((_contains(t), 1), else_=0) for t in terms])


def _inside(path: str) -> Select:
    """Ids of the territory whose path is ``path`` and of every territory under it."""
    return select(Territory.id).where(Territory.path.startswith(path))


def _parent_path(territory: Territory) -> str:
    """The path of the territory's parent ("/1/4/9/" → "/1/4/"), or its own at the top of the
    tree — read from the materialised path, without loading the parent."""
    ancestors = territory.path.strip("/").split("/")[:-1]
    return f"/{'/'.join(ancestors)}/" if ancestors else territory.path


def _around(territory: Territory) -> ColumnElement[bool]:
    """The need is in the territory's parent's subtree. On PostgreSQL as "= ANY(ARRAY(subquery))"
    rather than "IN (subquery)": the planner then ANDs the territory index with the trigram
    index and reads only the matches around the territory (544 rows for a 4-word title) instead
    of every match in the country (5,059 rows, 3,441 heap blocks): 20 ms -> 10 ms (EXPLAIN
    ANALYZE, bench data)."""
    ids = _inside(_parent_path(territory))
    if _sqlite():
        return Need.territory_id.in_(ids)
    return Need.territory_id == any_(func.array(ids.scalar_subquery()))


def visible_needs() -> Select:
    return select(Need).where(Need.hidden.is_(False), Need.status != FUSIONNE)


def filter_needs(query: Select, *, territory_id: int | None = None, category_id: int | None = None,
                 status: str | None = None, q: str | None = None, sort: str = "recent") -> Select:
    """Narrow ``query`` (a select of Need) by territory — including every sub-territory —,
    category, status and words of the text (all must appear), then sort."""
    if territory_id:
        territory = db.session.get(Territory, territory_id)
        if territory is not None:
            query = query.where(Need.territory_id.in_(_inside(territory.path)))
    if category_id:
        query = query.where(Need.category_id == category_id)
    if status:
        query = query.where(Need.status == status)
    terms = search_terms(q or "")
    if terms:
        if _sqlite():
            matching = select(_fts_rowid).select_from(_fts).where(_fts_match(terms, "AND"))
            query = query.where(Need.id.in_(matching))
        else:
            query = query.where(and_(*(_contains(t) for t in terms)))
    if sort == "soutiens":
        return query.order_by(Need.supports_count.desc(), Need.id.desc())
    return query.order_by(Need.created_at.desc(), Need.id.desc())


def similar_needs(text: str, territory_id: int | None, limit: int = 5, *,
                  authors: bool = True) -> list[Need]:
    """Up to ``limit`` visible needs of the territory (and the territories around it: its
    parent's whole subtree) sharing words with ``text``: those containing the most of the typed
    words first, then the closest by the database's relevance score, then the most supported.
    With their authors loaded in the same query, unless ``authors=False`` (the suggestions
    shown while a resident types a title name the need, its territory and its supports)."""
    terms = search_terms(text)
    if not terms:
        return []
    territory = db.session.get(Territory, territory_id) if territory_id else None
    scope = [_around(territory)] if territory is not None else []
    # Counted on the candidate rows only, once the index has found them.
    words_found = _words_found(terms)
    if _sqlite() and scope:
        # Inside a territory's subtree (a few thousand needs at most), the index ix_need_similar
        # (migration 0008) holds each need's text: reading it there in territory order is 10×
        # faster than ranking every match of a common word in the whole country with bm25 first.
        # Ranked on the index's columns alone; the needs' relations are joined to the chosen few.
        found = words_found.label("words_found")
        best = (visible_needs().with_only_columns(Need.id, found)
                .where(*scope, or_(*(_contains(t) for t in terms)))
                .order_by(found.desc(), Need.supports_count.desc(), Need.id.desc())
                .limit(limit).subquery("best"))
        query = select(Need).join(best, best.c.id == Need.id).order_by(best.c.words_found.desc())
    elif _sqlite():
        ranked = (select(_fts_rowid.label("need_id"), func.bm25(_fts_table).label("score"))
                  .select_from(_fts).where(_fts_match(terms, "OR")).subquery("ranked"))
        query = (visible_needs().where(*scope).join(ranked, ranked.c.need_id == Need.id)
                 # bm25 is negative: the lower, the better the match.
                 .order_by(words_found.desc(), ranked.c.score))
    else:
        # word_similarity (how well the typed words match some stretch of the need's text, so a
        # long description does not dilute the score as with similarity()) costs too much to
        # compute on thousands of rows for a common word: only on the best candidates.
        candidates = (visible_needs().with_only_columns(Need.id, words_found.label("words_found"))
                      .where(or_(*(_contains(t) for t in terms)), *scope)
                      .order_by(words_found.desc(), Need.supports_count.desc(), Need.id.desc())
                      .limit(SIMILARITY_CANDIDATES).subquery("candidates"))
        query = (select(Need).join(candidates, candidates.c.id == Need.id)
                 .order_by(candidates.c.words_found.desc(),
                           func.word_similarity(" ".join(terms), Need.search_text).desc()))
    query = query.order_by(Need.supports_count.desc(), Need.id.desc()).limit(limit)
    if not authors:  # no join to the accounts (and their roles) when nobody shows them
        query = query.options(lazyload(Need.author))
    return list(db.session.execute(query).scalars().all())
