"""Points: a ballot maps candidate id -> non-negative int, summing to at most ``budget``."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .result import InvalidBallot, Result, per_candidate, tiers_by_key


def _budget(budget):
    if budget is None or isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ValueError("points requires a non-negative integer option budget=")
    return budget


def counts_from_ballots(candidates: Sequence[str], ballots: Iterable, *, budget=None,
                        **options) -> tuple[dict, int]:
    budget = _budget(budget)
    counts = dict.fromkeys(candidates, 0)
    n = 0
    for i, ballot in enumerate(ballots):
        if not isinstance(ballot, Mapping):
            raise InvalidBallot(i, f"expected a mapping candidate -> points, got {ballot!r}")
        total = 0
        for c, p in ballot.items():
            if not isinstance(c, str) or c not in counts:
                raise InvalidBallot(i, f"unknown candidate {c!r}")
            if isinstance(p, bool) or not isinstance(p, int):
                raise InvalidBallot(i, f"points for {c!r} must be an integer, got {p!r}")
            if p < 0:
                raise InvalidBallot(i, f"negative points ({p}) for {c!r}")
            total += p
        if total > budget:
            raise InvalidBallot(i, f"points over budget ({total} > {budget})")
        for c, p in ballot.items():
            counts[c] += p
        n += 1
    return counts, n


def tally_counts(candidates: Sequence[str], counts: dict, *, ballots_counted=None,
                 budget=None, **options) -> Result:
    pts = per_candidate(candidates, counts)
    grand = sum(pts.values())
    scores = {c: {"points": v, "share": (v / grand if grand else 0.0)} for c, v in pts.items()}
    return Result("points", tiers_by_key(candidates, pts.__getitem__), scores,
                  ballots_counted or 0)
