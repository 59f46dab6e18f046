"""Text helpers shared by the areas."""
from __future__ import annotations

import unicodedata


def normalise_for_search(*parts: str | None) -> str:
    """Lower-case, unaccented, single-spaced text: what the full-text indexes store and what a
    query is turned into, so "Médecin" finds "medecin". (SQLite 3.40's trigram tokenizer folds
    case but not accents, hence this copy.)"""
    text = " ".join(p for p in parts if p)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.replace("œ", "oe").replace("æ", "ae").split())
