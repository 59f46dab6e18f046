"""Hand-built cases for the pure tally library civicsante.voting."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from civicsante.voting import InvalidBallot, tally, tally_counts
from civicsante.voting.majority_judgment import compare_profiles

ABC = ["A", "B", "C"]


def _bad(method, candidates, ballots, index, reason, **options):
    with pytest.raises(InvalidBallot) as exc:
        tally(method, candidates, ballots, **options)
    assert exc.value.index == index
    assert reason in exc.value.reason
    assert f"#{index}" in str(exc.value)
    assert isinstance(exc.value, ValueError)


# --- single -----------------------------------------------------------------------------------

def test_single_counts_and_tie():
    r = tally("single", ABC, ["A", "B", "A", "B", "C"])
    assert r.ranking == [["A", "B"], ["C"]]
    assert r.scores["A"]["votes"] == 2
    assert r.ballots_counted == 5


def test_single_tie_not_broken_by_input_order():
    r1 = tally("single", ["A", "B"], ["B", "A"])
    r2 = tally("single", ["B", "A"], ["A", "B"])
    assert len(r1.ranking) == len(r2.ranking) == 1
    assert set(r1.ranking[0]) == set(r2.ranking[0]) == {"A", "B"}


def test_single_no_ballots_everyone_tied():
    assert tally("single", ABC, []).ranking == [ABC]


def test_single_invalid():
    _bad("single", ABC, ["A", "Z"], 1, "unknown candidate")


# --- approval ---------------------------------------------------------------------------------

def test_approval_with_abstention():
    r = tally("approval", ABC, [{"A", "B"}, ["B"], [], ("B", "C")])
    assert r.ranking == [["B"], ["A", "C"]]
    assert r.scores["B"] == {"approvals": 3, "share": 0.75}
    assert r.ballots_counted == 4


def test_approval_invalid():
    _bad("approval", ABC, [["A"], ["A", "Q"]], 1, "unknown candidate")
    _bad("approval", ABC, [["A", "A"]], 0, "duplicate")
    _bad("approval", ABC, [["A"], ["A"], ["A", "B", "C"]], 2, "at most 2", max_approvals=2)
    _bad("approval", ABC, ["AB"], 0, "expected a set")


# --- borda ------------------------------------------------------------------------------------

def test_borda_full_ballots():
    r = tally("borda", ABC, [["A", "B", "C"], ["B", "A", "C"], ["A", "C", "B"]])
    # A: 2+1+2 = 5, B: 1+2+0 = 3, C: 0+0+1 = 1
    assert r.ranking == [["A"], ["B"], ["C"]]
    assert [r.scores[c]["points"] for c in ABC] == [5, 3, 1]


def test_borda_partial_ballots_share_remaining_points():
    cands = ["A", "B", "C", "D"]
    r = tally("borda", cands, [["A"], ["B", "C"], []])
    # ballot 1: A 3, B/C/D share 2+1+0 -> 1 each
    # ballot 2: B 3, C 2, A/D share 1+0 -> 0.5 each
    # ballot 3: everyone 1.5
    assert r.scores["A"]["points"] == 5
    assert r.scores["B"]["points"] == 5.5
    assert r.scores["C"]["points"] == 4.5
    assert r.scores["D"]["points"] == 3
    assert r.ranking == [["B"], ["A"], ["C"], ["D"]]


def test_borda_partial_ranking_ties_bottom():
    r = tally("borda", ["A", "B", "C", "D"], [["A", "B"]])
    assert r.ranking == [["A"], ["B"], ["C", "D"]]


def test_borda_invalid():
    _bad("borda", ABC, [["A", "B"], ["A", "B", "A"]], 1, "duplicate rank")
    _bad("borda", ABC, [["A", "X"]], 0, "unknown candidate")
    _bad("borda", ABC, [["A"], {"A", "B"}], 1, "ordered list")


def test_borda_from_counts_fraction_or_float():
    r1 = tally_counts("borda", ABC, {"A": Fraction(5, 2), "B": 2.5, "C": 1}, ballots_counted=2)
    assert r1.ranking == [["A", "B"], ["C"]]


# --- schulze ----------------------------------------------------------------------------------

WIKI = (
    [["A", "C", "B", "E", "D"]] * 5
    + [["A", "D", "E", "C", "B"]] * 5
    + [["B", "E", "D", "A", "C"]] * 8
    + [["C", "A", "B", "E", "D"]] * 3
    + [["C", "A", "E", "B", "D"]] * 7
    + [["C", "B", "A", "D", "E"]] * 2
    + [["D", "C", "E", "B", "A"]] * 7
    + [["E", "B", "A", "D", "C"]] * 8
)


def test_schulze_wikipedia_example():
    r = tally("schulze", list("ABCDE"), WIKI)
    assert r.ballots_counted == 45
    assert r.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    d = {a: r.scores[a]["pairwise"] for a in "ABCDE"}
    assert d["A"] == {"B": 20, "C": 26, "D": 30, "E": 22}
    assert d["E"] == {"A": 23, "B": 27, "C": 21, "D": 31}
    p = {a: r.scores[a]["strongest_paths"] for a in "ABCDE"}
    assert p["A"] == {"B": 28, "C": 28, "D": 30, "E": 24}
    assert p["B"] == {"A": 25, "C": 28, "D": 33, "E": 24}
    assert p["C"] == {"A": 25, "B": 29, "D": 29, "E": 24}
    assert p["D"] == {"A": 25, "B": 28, "C": 28, "E": 24}
    assert p["E"] == {"A": 25, "B": 28, "C": 28, "D": 31}


def test_schulze_from_pairwise_matrix_matches():
    cands = list("ABCDE")
    raw = tally("schulze", cands, WIKI)
    matrix = {a: raw.scores[a]["pairwise"] for a in cands}
    assert tally_counts("schulze", cands, matrix, ballots_counted=45) == raw


def test_schulze_condorcet_cycle_is_a_tie():
    r = tally("schulze", ABC, [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]])
    assert r.ranking == [ABC]


def test_schulze_partial_ballots_unranked_below():
    r = tally("schulze", ["A", "B", "C", "D"], [["A"], ["B"], ["A", "B"]])
    assert r.scores["A"]["pairwise"] == {"B": 2, "C": 2, "D": 2}
    assert r.scores["B"]["pairwise"] == {"A": 1, "C": 2, "D": 2}
    assert r.scores["C"]["pairwise"] == {"A": 0, "B": 0, "D": 0}
    assert r.ranking == [["A"], ["B"], ["C", "D"]]


def test_schulze_invalid():
    _bad("schulze", ABC, [["A"], ["B", "B"]], 1, "duplicate rank")
    _bad("schulze", ABC, [["A"], ["B"], ["Z"]], 2, "unknown candidate")


# --- points -----------------------------------------------------------------------------------

def test_points_with_tie():
    r = tally("points", ABC, [{"A": 5, "B": 5}, {"C": 10}, {"A": 5}], budget=10)
    assert r.ranking == [["A", "C"], ["B"]]
    assert r.scores["A"]["points"] == 10


def test_points_invalid():
    _bad("points", ABC, [{"A": 6, "B": 5}], 0, "over budget", budget=10)
    _bad("points", ABC, [{"A": 1}, {"A": -1}], 1, "negative points", budget=10)
    _bad("points", ABC, [{"D": 1}], 0, "unknown candidate", budget=10)
    _bad("points", ABC, [{"A": 1.5}], 0, "integer", budget=10)
    with pytest.raises(ValueError, match="budget"):
        tally("points", ABC, [])


# --- majority judgment ------------------------------------------------------------------------

def test_mj_lower_median_and_ungraded_is_lowest():
    # B ungraded on the last two ballots -> grade 0
    r = tally("majority_judgment", ["A", "B"],
              [{"A": 3, "B": 5}, {"A": 4, "B": 6}, {"A": 3}, {"A": 4}], grades=7)
    assert r.scores["B"]["profile"] == [2, 0, 0, 0, 0, 1, 1]
    assert r.scores["B"]["majority_grade"] == 0  # lower median of 0,0,5,6
    assert r.scores["A"]["majority_grade"] == 3  # lower median of 3,3,4,4
    assert r.ranking == [["A"], ["B"]]


def test_mj_tie_break_by_removing_median():
    # both have median "Bien" (4); removing medians separates them:
    # A: 2,4,4,4,6 -> medians 4, 4, 4(of 2,4,6)... B: 3,4,4,4,5
    # A sequence: 4,4,(2,4,6)->4,(2,6)->2,6   B: 4,4,4,(3,5)->3,5 ; A = B until the 4th: 2 < 3
    a = [2, 4, 4, 4, 6]
    b = [3, 4, 4, 4, 5]
    ballots = [{"A": x, "B": y} for x, y in zip(a, b, strict=True)]
    r = tally("majority_judgment", ["A", "B"], ballots)
    assert r.scores["A"]["majority_grade"] == r.scores["B"]["majority_grade"] == 4
    assert r.ranking == [["B"], ["A"]]


def test_mj_tie_break_classic():
    # A: 1,2,2,3  B: 0,2,2,5  (lower medians 2 / 2); remove one 2 -> A: 1,2,3 -> 2 ; B: 0,2,5 -> 2
    # remove again -> A: 1,3 -> 1 ; B: 0,5 -> 0  => A above B
    ballots = [{"A": 1, "B": 0}, {"A": 2, "B": 2}, {"A": 2, "B": 2}, {"A": 3, "B": 5}]
    r = tally("majority_judgment", ["B", "A"], ballots)
    assert r.ranking == [["A"], ["B"]]


def test_mj_identical_profiles_stay_tied():
    ballots = [{"A": 1, "B": 5}, {"A": 5, "B": 1}, {"A": 3, "B": 3}, {"C": 6}]
    r = tally("majority_judgment", ["A", "B", "C"], ballots)
    assert r.scores["A"]["profile"] == r.scores["B"]["profile"]
    assert ["A", "B"] in r.ranking
    assert r.ranking == [["A", "B"], ["C"]]


def _naive_sequence(profile):
    xs = sorted(g for g, k in enumerate(profile) for _ in range(k))
    seq = []
    while xs:
        m = xs[(len(xs) - 1) // 2]
        seq.append(m)
        xs.remove(m)
    return seq


def test_mj_compare_profiles_matches_naive_removal():
    import itertools
    import random

    rng = random.Random(4)
    for _ in range(3000):
        grades = rng.randint(1, 5)
        n = rng.randint(0, 12)
        a = [0] * grades
        b = [0] * grades
        for _ in range(n):
            a[rng.randrange(grades)] += 1
            b[rng.randrange(grades)] += 1
        sa, sb = _naive_sequence(a), _naive_sequence(b)
        expected = (sa > sb) - (sa < sb)
        assert compare_profiles(a, b) == expected, (a, b)
    assert list(itertools.islice(_naive_sequence([1, 1, 1, 1]), 4)) == [1, 2, 0, 3]


def test_mj_from_counts_fills_ungraded_as_lowest():
    raw = tally("majority_judgment", ["A", "B"], [{"A": 2}, {"A": 2, "B": 1}, {"B": 1}], grades=3)
    # the database only aggregates grades that were given
    counts = {"A": [0, 0, 2], "B": [0, 2, 0]}
    assert tally_counts("majority_judgment", ["A", "B"], counts, ballots_counted=3,
                        grades=3) == raw


def test_mj_million_ballot_profile_from_counts():
    """A million ballots whose profiles differ by one ballot at the extremes: the tie-break still
    separates them. (How fast it goes is measured by tests/bench/bench_tally.py, not here.)"""
    counts = {f"p{i}": [142_857 + i, 142_857, 142_857, 142_857, 142_857, 142_857, 142_858 - i]
              for i in range(10)}
    r = tally_counts("majority_judgment", list(counts), counts, ballots_counted=1_000_000)
    assert r.ranking[0] == ["p0"]


def test_mj_invalid():
    _bad("majority_judgment", ABC, [{"A": 1}, {"A": 7}], 1, "grade out of range")
    _bad("majority_judgment", ABC, [{"A": -1}], 0, "grade out of range")
    _bad("majority_judgment", ABC, [{"A": 1}, {"A": 1}, {"A": 3}], 2, "grade out of range",
         grades=3)
    _bad("majority_judgment", ABC, [{"Z": 1}], 0, "unknown candidate")


# --- entry point / CLI ------------------------------------------------------------------------

def test_unknown_method_and_duplicate_candidates():
    with pytest.raises(ValueError, match="unknown voting method"):
        tally("condorcet", ABC, [])
    with pytest.raises(ValueError, match="duplicate candidate"):
        tally("single", ["A", "A"], [])


def test_counts_with_unknown_candidate_rejected():
    with pytest.raises(InvalidBallot):
        tally_counts("single", ABC, {"Z": 3})


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "civicsante.voting", *args],
                          capture_output=True, text=True, check=False)


def test_cli_json_and_csv(tmp_path):
    f = tmp_path / "b.json"
    f.write_text(json.dumps({"method": "schulze", "candidates": list("ABCDE"), "ballots": WIKI}))
    out = _cli("schulze", str(f))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1:] == ["1. E", "2. A", "3. C", "4. B", "5. D"]

    c = tmp_path / "b.csv"
    c.write_text("A,B,C\n6,2,\n5,5,1\n,,\n")
    out = _cli("majority_judgment", str(c), "--grades", "7", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ranking"] == [["A"], ["B"], ["C"]]
    assert data["ballots_counted"] == 3

    c.write_text("A,B,C\n6,5,\n")
    out = _cli("points", str(c), "--budget", "10")
    assert out.returncode == 2
    assert "#0" in out.stderr and "over budget" in out.stderr


def test_library_is_pure():
    """No Flask, no database, no import from the rest of civicsante."""
    import ast
    from pathlib import Path

    from civicsante import voting

    allowed = {"__future__", "argparse", "collections", "csv", "dataclasses", "fractions",
               "functools", "itertools", "json", "operator", "sys", "typing"}
    for path in Path(voting.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import inside civicsante.voting
                    continue
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_majority_judgment_fast_count_refuses_what_the_checked_count_refuses():
    """The column-by-column count of plain ballots gives the same profile as counting ballot by
    ballot, and falls back to the checks (with the offending ballot's number) on a bad ballot."""
    import random

    from civicsante.voting import majority_judgment

    rng = random.Random(7)
    cands = ["a", "b", "c"]
    ballots = [{c: rng.randrange(7) for c in rng.sample(cands, rng.randint(0, 3))} for _ in range(500)]
    fast, n = majority_judgment.counts_from_ballots(cands, ballots)
    assert n == 500
    assert fast == majority_judgment._checked_profile(cands, ballots, 7)
    for bad, index in [({"a": True}, 3), ({"a": 1.0}, 3), ({"z": 1}, 3), ({"a": 7}, 3), (["a"], 3)]:
        with pytest.raises(InvalidBallot) as raised:
            majority_judgment.counts_from_ballots(cands, [*ballots[:3], bad, *ballots[3:]])
        assert raised.value.index == index


def test_majority_judgment_count_of_complete_ballots_matches_and_refuses_the_same():
    """Ballots that grade every candidate are counted from one byte string in candidate order
    (whatever each ballot's key order); the profile is the one counted ballot by ballot, and a
    bad grade or a stranger's name still names the offending ballot."""
    import random

    from civicsante.voting import majority_judgment

    rng = random.Random(11)
    for cands in (["a", "b", "c"], ["seul"]):
        ballots = [dict(rng.sample([(c, rng.randrange(7)) for c in cands], len(cands)))
                   for _ in range(400)]
        fast, n = majority_judgment.counts_from_ballots(cands, ballots)
        assert n == 400
        assert fast == majority_judgment._checked_profile(cands, ballots, 7)
        first = cands[0]
        for bad in ({first: True}, {first: 1.0}, {first: 7}, {first: -1}, {first: "2"}):
            ballot = {**{c: 0 for c in cands}, **bad}
            with pytest.raises(InvalidBallot) as raised:
                majority_judgment.counts_from_ballots(cands, [*ballots[:5], ballot, *ballots[5:]])
            assert raised.value.index == 5
        stranger = {**{c: 0 for c in cands[1:]}, "z": 1}
        with pytest.raises(InvalidBallot) as raised:
            majority_judgment.counts_from_ballots(cands, [*ballots[:2], stranger, *ballots[2:]])
        assert raised.value.index == 2
    result = tally("majority_judgment", ["a", "b"], [{"a": 6, "b": 0}] * 3 + [{"b": 5, "a": 1}] * 2)
    assert result.ranking == [["a"], ["b"]]
