"""Shared result type, error type and helpers for the tally methods."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any


class InvalidBallot(ValueError):
    """A ballot that cannot be counted; ``index`` is its 0-based position in the input."""

    def __init__(self, index: int | None, reason: str):
        self.index = index
        self.reason = reason
        where = f"ballot #{index}" if index is not None else "counts"
        super().__init__(f"{where}: {reason}")


@dataclass
class Result:
    """Outcome of a tally.

    ``ranking``: tiers best first; candidates in one tier are tied (listed in the order of the
    ``candidates`` argument, which never decides anything). ``scores``: per-candidate details
    (method specific). ``ballots_counted``: number of ballots taken into account.
    """

    method: str
    ranking: list[list[str]]
    scores: dict[str, Any] = field(default_factory=dict)
    ballots_counted: int = 0

    @property
    def winners(self) -> list[str]:
        return list(self.ranking[0]) if self.ranking else []


def check_candidates(candidates: Sequence[str]) -> list[str]:
    cands = list(candidates)
    if len(set(cands)) != len(cands):
        raise ValueError("duplicate candidate ids")
    return cands


def tiers_by_key(candidates: Sequence[str], key: Callable[[str], Hashable]) -> list[list[str]]:
    """Group candidates into tiers by descending ``key`` (equal keys share a tier)."""
    groups: dict[Any, list[str]] = {}
    for c in candidates:
        groups.setdefault(key(c), []).append(c)
    return [groups[k] for k in sorted(groups, reverse=True)]


def tiers_by_cmp(candidates: Sequence[str], cmp: Callable[[str, str], int]) -> list[list[str]]:
    """Group candidates into tiers with a total-preorder comparator (>0: first is better)."""
    import functools

    ordered = sorted(candidates, key=functools.cmp_to_key(lambda a, b: cmp(b, a)))
    tiers: list[list[str]] = []
    for c in ordered:
        if tiers and cmp(tiers[-1][0], c) == 0:
            tiers[-1].append(c)
        else:
            tiers.append([c])
    order = {c: i for i, c in enumerate(candidates)}
    return [sorted(t, key=order.__getitem__) for t in tiers]


def plain_number(x: Any) -> Any:
    """Fractions become int when integral, float otherwise (for display / JSON)."""
    if isinstance(x, Fraction):
        return int(x) if x.denominator == 1 else float(x)
    return x


def per_candidate(candidates: Sequence[str], counts: dict) -> dict:
    """One count per candidate (0 when absent), refusing unknown candidates and counts that are
    not non-negative numbers: the aggregated input of single, approval, Borda and points."""
    unknown = [c for c in counts if c not in set(candidates)]
    if unknown:
        raise InvalidBallot(None, f"unknown candidate {unknown[0]!r}")
    values = {c: counts.get(c, 0) for c in candidates}
    for c, v in values.items():
        check_count(v, c)
    return values


def check_count(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction) or value < 0:
        raise InvalidBallot(None, f"{what}: expected a non-negative number, got {value!r}")
