"""Property tests (hypothesis) for civicsante.voting."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from civicsante.voting import tally, tally_counts

SETTINGS = settings(max_examples=60, deadline=None)
GRADES = 5
BUDGET = 10
POOL = ["A", "B", "C", "D", "E"]

candidates_st = st.integers(min_value=2, max_value=5).map(lambda n: POOL[:n])


def ballot_st(method: str, cands: list[str]):
    if method == "single":
        return st.sampled_from(cands)
    if method == "approval":
        return st.lists(st.sampled_from(cands), unique=True)
    if method in ("borda", "schulze"):
        return st.permutations(cands).flatmap(
            lambda p: st.integers(0, len(p)).map(lambda k: list(p[:k])))
    if method == "points":
        return st.lists(st.integers(0, BUDGET), min_size=len(cands), max_size=len(cands)).map(
            lambda xs: _fit_budget(dict(zip(cands, xs, strict=True))))
    return st.dictionaries(st.sampled_from(cands), st.integers(0, GRADES - 1))


def _fit_budget(ballot: dict) -> dict:
    out, left = {}, BUDGET
    for c, p in ballot.items():
        p = min(p, left)
        left -= p
        if p:
            out[c] = p
    return out


OPTIONS = {"points": {"budget": BUDGET}, "majority_judgment": {"grades": GRADES}}
METHODS = ["single", "approval", "borda", "schulze", "points", "majority_judgment"]


@st.composite
def election(draw, method=None, min_ballots=0):
    method = method or draw(st.sampled_from(METHODS))
    cands = draw(candidates_st)
    ballots = draw(st.lists(ballot_st(method, cands), min_size=min_ballots, max_size=25))
    return method, cands, ballots


def _favoured(method, cands, winner, ballot):
    """Make ``winner`` strictly the most preferred candidate of ``ballot``."""
    if method == "single":
        return winner
    if method == "approval":
        return [winner, *[c for c in ballot if c != winner]]
    if method in ("borda", "schulze"):
        return [winner, *[c for c in ballot if c != winner]]
    if method == "points":
        rest = {c: p for c, p in ballot.items() if c != winner}
        while rest and sum(rest.values()) + max(rest.values()) + 1 > BUDGET:
            del rest[max(rest, key=rest.__getitem__)]
        return {**rest, winner: max(rest.values(), default=0) + 1}
    grades = {c: min(g, GRADES - 2) for c, g in ballot.items() if c != winner}
    return {**grades, winner: max(grades.values(), default=0) + 1}


@SETTINGS
@given(data=st.data(), method=st.sampled_from(METHODS))
def test_unanimous_favourite_wins_alone(data, method):
    _, cands, ballots = data.draw(election(method=method, min_ballots=1))
    winner = data.draw(st.sampled_from(cands))
    ballots = [_favoured(method, cands, winner, b) for b in ballots]
    if method == "approval":
        # an approved-by-all candidate wins alone when every rival misses at least one ballot
        for c in cands:
            if c != winner:
                ballots.append([winner])
                break
    r = tally(method, cands, ballots, **OPTIONS.get(method, {}))
    assert r.ranking[0] == [winner], (ballots, r)


@SETTINGS
@given(data=st.data())
def test_ballot_order_never_matters(data):
    method, cands, ballots = data.draw(election())
    shuffled = data.draw(st.permutations(ballots))
    opts = OPTIONS.get(method, {})
    assert tally(method, cands, ballots, **opts) == tally(method, cands, list(shuffled), **opts)


@SETTINGS
@given(data=st.data())
def test_candidate_order_never_breaks_ties(data):
    method, cands, ballots = data.draw(election())
    perm = list(data.draw(st.permutations(cands)))
    opts = OPTIONS.get(method, {})
    r1 = tally(method, cands, ballots, **opts)
    r2 = tally(method, perm, ballots, **opts)
    assert [set(t) for t in r1.ranking] == [set(t) for t in r2.ranking]
    assert r1.scores == r2.scores


def _aggregate(method, cands, ballots):
    """Independent aggregation, as the database would do it."""
    if method == "single":
        return dict(Counter(ballots))
    if method == "approval":
        return dict(Counter(c for b in ballots for c in b))
    if method == "points":
        return dict(sum((Counter(b) for b in ballots), Counter()))
    if method == "majority_judgment":  # only the grades actually given
        prof = {}
        for b in ballots:
            for c, g in b.items():
                prof.setdefault(c, [0] * GRADES)[g] += 1
        return prof
    if method == "borda":
        n = len(cands)
        tot = Counter()
        for b in ballots:
            for pos, c in enumerate(b):
                tot[c] += n - 1 - pos
            for c in cands:
                if c not in b:
                    tot[c] += Fraction(n - len(b) - 1, 2)
        return dict(tot)
    d = {a: {b: 0 for b in cands if b != a} for a in cands}
    for b in ballots:
        pos = {c: i for i, c in enumerate(b)}
        for x in cands:
            for y in cands:
                if x != y and x in pos and (y not in pos or pos[x] < pos[y]):
                    d[x][y] += 1
    return d


@SETTINGS
@given(data=st.data())
def test_tally_from_counts_equals_tally_from_ballots(data):
    method, cands, ballots = data.draw(election())
    opts = OPTIONS.get(method, {})
    raw = tally(method, cands, ballots, **opts)
    counted = tally_counts(method, cands, _aggregate(method, cands, ballots),
                           ballots_counted=len(ballots), **opts)
    assert counted == raw
