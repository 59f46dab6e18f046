"""Borda: a ballot is an ordered list of candidate ids, best first, possibly partial.

With n candidates, the 1st gets n-1 points, the 2nd n-2, ...; the candidates a ballot leaves
unranked share the remaining points equally (a tie at the bottom): with k ranked, each unranked
candidate gets (n-k-1)/2. Totals are exact fractions.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from .result import InvalidBallot, Result, per_candidate, plain_number, tiers_by_key


def validate_ranking(i: int, ballot, known) -> tuple[str, ...]:
    if isinstance(ballot, str | bytes | Mapping | set | frozenset) or not isinstance(
        ballot, Iterable
    ):
        raise InvalidBallot(i, f"expected an ordered list of candidate ids, got {ballot!r}")
    order = tuple(ballot)
    seen = set()
    for c in order:
        if not isinstance(c, str) or c not in known:
            raise InvalidBallot(i, f"unknown candidate {c!r}")
        if c in seen:
            raise InvalidBallot(i, f"duplicate rank for {c!r}")
        seen.add(c)
    return order


def distinct_rankings(candidates: Sequence[str], ballots: Iterable) -> tuple[Counter, int]:
    """Each distinct (validated) ranking with how many ballots gave it, and the ballot count:
    Borda and Schulze then work per distinct ranking, not per ballot."""
    known = set(candidates)
    distinct: Counter = Counter()
    n_ballots = 0
    for i, ballot in enumerate(ballots):
        distinct[validate_ranking(i, ballot, known)] += 1
        n_ballots += 1
    return distinct, n_ballots


def counts_from_ballots(candidates: Sequence[str], ballots: Iterable, **options):
    distinct, n_ballots = distinct_rankings(candidates, ballots)
    n = len(candidates)
    totals = dict.fromkeys(candidates, Fraction(0))
    for order, mult in distinct.items():
        for pos, c in enumerate(order):
            totals[c] += (n - 1 - pos) * mult
        rest = Fraction(n - len(order) - 1, 2) * mult
        if rest:
            ranked = set(order)
            for c in candidates:
                if c not in ranked:
                    totals[c] += rest
    return totals, n_ballots


def tally_counts(candidates: Sequence[str], counts: dict, *, ballots_counted=None,
                 **options) -> Result:
    pts = per_candidate(candidates, counts)
    scores = {c: {"points": plain_number(v)} for c, v in pts.items()}
    return Result("borda", tiers_by_key(candidates, pts.__getitem__), scores, ballots_counted or 0)
