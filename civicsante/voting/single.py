"""Single choice: a ballot is one candidate id; most votes wins."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .result import InvalidBallot, Result, per_candidate, tiers_by_key


def counts_from_ballots(candidates: Sequence[str], ballots: Iterable, **options) -> tuple[dict, int]:
    counts = dict.fromkeys(candidates, 0)
    n = 0
    for i, ballot in enumerate(ballots):
        if not isinstance(ballot, str) or ballot not in counts:
            raise InvalidBallot(i, f"unknown candidate {ballot!r}")
        counts[ballot] += 1
        n += 1
    return counts, n


def tally_counts(candidates: Sequence[str], counts: dict, *, ballots_counted=None,
                 **options) -> Result:
    votes = per_candidate(candidates, counts)
    total = sum(votes.values()) if ballots_counted is None else ballots_counted
    scores = {c: {"votes": v, "share": (v / total if total else 0.0)} for c, v in votes.items()}
    return Result("single", tiers_by_key(candidates, votes.__getitem__), scores, total)
