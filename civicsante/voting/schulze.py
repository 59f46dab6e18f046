"""Schulze beatpath: a ballot is an ordered list of candidate ids, best first, possibly partial.

Unranked candidates tie below all ranked ones. ``d[a][b]`` is the number of ballots preferring
a over b; strongest paths use winning votes (a link a->b exists with strength d[a][b] only if
d[a][b] > d[b][a]). a is ranked above b iff p[a][b] > p[b][a]; tiers are built by repeatedly
taking the remaining candidates that no remaining candidate beats.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .borda import distinct_rankings
from .result import InvalidBallot, Result, check_count


def counts_from_ballots(candidates: Sequence[str], ballots: Iterable, **options):
    distinct, n_ballots = distinct_rankings(candidates, ballots)
    d = {a: dict.fromkeys((b for b in candidates if b != a), 0) for a in candidates}
    for order, mult in distinct.items():
        ranked = set(order)
        unranked = [c for c in candidates if c not in ranked]
        for pos, a in enumerate(order):
            row = d[a]
            for b in order[pos + 1:]:
                row[b] += mult
            for b in unranked:
                row[b] += mult
    return d, n_ballots


def strongest_paths(candidates: Sequence[str], d: dict) -> dict:
    p = {a: {b: (d[a][b] if d[a][b] > d[b][a] else 0) for b in candidates if b != a}
         for a in candidates}
    for i in candidates:
        for j in candidates:
            if j == i:
                continue
            pji = p[j][i]
            if not pji:
                continue
            pj = p[j]
            pi = p[i]
            for k in candidates:
                if k == i or k == j:
                    continue
                v = min(pi[k], pji)
                pj[k] = max(pj[k], v)
    return p


def tally_counts(candidates: Sequence[str], counts: dict, *, ballots_counted=None,
                 **options) -> Result:
    for a, row in counts.items():
        if a not in candidates:
            raise InvalidBallot(None, f"unknown candidate {a!r}")
        for b in row:
            if b not in candidates:
                raise InvalidBallot(None, f"unknown candidate {b!r}")
    d = {a: {b: counts.get(a, {}).get(b, 0) for b in candidates if b != a} for a in candidates}
    for a in candidates:
        for b, v in d[a].items():
            check_count(v, f"{a}>{b}")
    p = strongest_paths(candidates, d)
    remaining = list(candidates)
    ranking: list[list[str]] = []
    while remaining:
        tier = [a for a in remaining if not any(p[b][a] > p[a][b] for b in remaining if b != a)]
        if not tier:  # cannot happen (the beatpath relation is transitive); be safe
            tier = list(remaining)
        ranking.append(tier)
        remaining = [c for c in remaining if c not in tier]
    scores = {
        a: {
            "pairwise": dict(d[a]),
            "strongest_paths": dict(p[a]),
            "wins": sum(1 for b in candidates if b != a and p[a][b] > p[b][a]),
        }
        for a in candidates
    }
    return Result("schulze", ranking, scores, ballots_counted or 0)
