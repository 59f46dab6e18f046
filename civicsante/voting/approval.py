"""Approval: a ballot is a set of candidate ids (empty = abstention); most approvals wins.

Option ``max_approvals`` (optional) caps the number of approvals per ballot.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .result import InvalidBallot, Result, per_candidate, tiers_by_key


def counts_from_ballots(candidates: Sequence[str], ballots: Iterable, *, max_approvals=None,
                        **options) -> tuple[dict, int]:
    counts = dict.fromkeys(candidates, 0)
    n = 0
    for i, ballot in enumerate(ballots):
        if isinstance(ballot, str | bytes | Mapping) or not isinstance(ballot, Iterable):
            raise InvalidBallot(i, f"expected a set of candidate ids, got {ballot!r}")
        items = list(ballot)
        seen = set()
        for c in items:
            if not isinstance(c, str) or c not in counts:
                raise InvalidBallot(i, f"unknown candidate {c!r}")
            if c in seen:
                raise InvalidBallot(i, f"duplicate approval of {c!r}")
            seen.add(c)
        if max_approvals is not None and len(items) > max_approvals:
            raise InvalidBallot(i, f"{len(items)} approvals, at most {max_approvals} allowed")
        for c in items:
            counts[c] += 1
        n += 1
    return counts, n


def tally_counts(candidates: Sequence[str], counts: dict, *, ballots_counted=None,
                 **options) -> Result:
    votes = per_candidate(candidates, counts)
    total = ballots_counted if ballots_counted is not None else max(votes.values(), default=0)
    scores = {c: {"approvals": v, "share": (v / total if total else 0.0)}
              for c, v in votes.items()}
    return Result("approval", tiers_by_key(candidates, votes.__getitem__), scores, total)
