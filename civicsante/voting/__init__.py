"""Pure-Python vote tallies (no Flask, no database): see DESIGN.md §4.

``tally(method, candidates, ballots, **options)`` validates raw ballots, aggregates them into
the counts a database could also compute, and hands them to ``tally_counts``; both paths share
one implementation per method.

Counts accepted by ``tally_counts`` (plus ``ballots_counted=`` where it cannot be derived):
single {id: n}; approval {id: n} (+ ballots_counted = total ballots); points {id: total};
borda {id: total points}; majority_judgment {id: [n per grade]} (missing grades, e.g. ungraded
candidates, are filled in as the lowest grade up to ballots_counted); schulze {a: {b: n}}.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from . import approval, borda, majority_judgment, points, schulze, single
from .result import InvalidBallot, Result, check_candidates

METHODS = {
    "single": single,
    "approval": approval,
    "borda": borda,
    "schulze": schulze,
    "points": points,
    "majority_judgment": majority_judgment,
}

__all__ = ["METHODS", "InvalidBallot", "Result", "aggregate", "tally", "tally_counts"]


def _module(method: str):
    try:
        return METHODS[method]
    except KeyError:
        raise ValueError(f"unknown voting method {method!r}; one of {sorted(METHODS)}") from None


def aggregate(method: str, candidates: Sequence[str], ballots: Iterable, **options):
    """Validate raw ballots and return ``(counts, ballots_counted)``."""
    cands = check_candidates(candidates)
    return _module(method).counts_from_ballots(cands, ballots, **options)


def tally_counts(method: str, candidates: Sequence[str], counts: dict, *,
                 ballots_counted: int | None = None, **options) -> Result:
    cands = check_candidates(candidates)
    return _module(method).tally_counts(cands, counts, ballots_counted=ballots_counted,
                                        **options)


def tally(method: str, candidates: Sequence[str], ballots: Iterable, **options) -> Result:
    counts, n = aggregate(method, candidates, ballots, **options)
    return tally_counts(method, candidates, counts, ballots_counted=n, **options)
