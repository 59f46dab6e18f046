"""Geometry and view models of the results charts (civicsante/consultations/charts.py), fed with
what the tally library really returns."""
from __future__ import annotations

from dataclasses import asdict

import pytest

from civicsante import voting
from civicsante.consultations import charts

GRADES = ["À rejeter", "Insuffisant", "Passable", "Assez bien", "Bien", "Très bien", "Excellent"]
TITLES = {"a": "Un médecin traitant pour chacun", "b": "Un centre de santé mental", "c": "Des navettes"}


def _result(method, ballots, cands=("a", "b", "c"), **options) -> dict:
    return asdict(voting.tally(method, list(cands), ballots, **options))


def _merit(ballots, grades=GRADES):
    return charts.merit_profile(_result("majority_judgment", ballots, grades=len(grades)), TITLES, grades)


def test_each_bar_of_the_merit_profile_fills_the_plot_exactly():
    ballots = [{"a": 6, "b": 2, "c": 0}, {"a": 4, "b": 2, "c": 1}, {"a": 4, "b": 5}, {"a": 1, "b": 3, "c": 6},
               {"a": 5, "b": 0, "c": 3}, {"a": 2, "b": 6}, {"a": 3, "b": 4, "c": 2}]
    merit = _merit(ballots)
    assert len(merit.rows) == 3
    for row in merit.rows:
        assert row.total == 7
        assert sum(s.share for s in row.segments) == pytest.approx(1.0)
        assert row.segments[0].x == pytest.approx(merit.plot_left)
        last = row.segments[-1]
        assert last.x + last.width == pytest.approx(merit.plot_left + merit.plot_width)
        # Contiguous, worst grade on the left, no empty segment drawn.
        for left, right in zip(row.segments, row.segments[1:]):
            assert left.x + left.width == pytest.approx(right.x)
            assert left.grade < right.grade
        assert all(s.count > 0 for s in row.segments)
        assert [s.count for s in row.segments] == [n for n in voting.tally(
            "majority_judgment", ["a", "b", "c"], ballots).scores[row.id]["profile"] if n]


def test_the_50_percent_line_is_in_the_middle_of_the_bars_and_crosses_the_majority_grade():
    ballots = [{"a": 6}, {"a": 5}, {"a": 4}, {"a": 4}, {"a": 1}, {"a": 0}, {"a": 0}, {"a": 3}]
    merit = _merit(ballots)
    assert merit.median_x == pytest.approx(merit.plot_left + merit.plot_width / 2)
    for row in merit.rows:
        crossed = next(s for s in row.segments if s.x <= merit.median_x <= s.x + s.width)
        # With an even number of ballots the line can fall on a boundary: the lower median wins.
        at_line = [s.grade for s in row.segments if s.x <= merit.median_x + 1e-9 and s.x + s.width >= merit.median_x - 1e-9]
        assert row.majority_grade in at_line
        assert crossed.grade in at_line


def test_mention_majoritaire_is_named_for_each_priority_and_rows_follow_the_ranking():
    ballots = [{"a": 1, "b": 4, "c": 6}, {"a": 2, "b": 4, "c": 5}, {"a": 2, "b": 5, "c": 0}]
    merit = _merit(ballots)
    assert [row.id for row in merit.rows] == ["c", "b", "a"]
    assert {row.id: row.majority_label for row in merit.rows} == {"a": "Passable", "b": "Bien", "c": "Très bien"}
    assert [row.rank for row in merit.rows] == [1, 2, 3]
    # Rows are stacked top to bottom in that order, with room for the "50 %" label above.
    assert merit.rows[0].bar_y > 14 and merit.rows[0].bar_y < merit.rows[1].bar_y < merit.rows[2].bar_y
    assert merit.rows[-1].bar_y + merit.bar_height <= merit.height


def test_segment_labels_name_the_grade_when_there_is_room_and_only_what_fits():
    wide = charts.segment_text("Très bien", 0.5, 290, lambda s: "50 %")
    assert wide == "Très bien 50 %"
    assert charts.segment_text("Très bien", 0.1, 58, lambda s: "10 %") == "10 %"
    assert charts.segment_text("Très bien", 0.02, 11.6, lambda s: "2 %") is None
    merit = _merit([{"a": 6}] * 19 + [{"a": 0}])
    row = next(r for r in merit.rows if r.id == "a")
    assert row.segments[-1].text.startswith("Excellent")
    for segment in row.segments:
        assert segment.text is None or charts.fits(segment.text, segment.width)


def test_grade_colours_run_worst_to_best_and_every_label_is_readable_on_its_colour():
    for grades in (2, 3, 5, 7, 10):
        fills = charts.grade_colours(grades)
        assert len(fills) == grades
        assert fills[0] == charts.GRADE_PALETTE[0] and fills[-1] == charts.GRADE_PALETTE[-1]
        for fill in fills:
            assert charts.contrast_ratio(fill, charts.text_colour_on(fill)) >= 4.5, fill
    assert charts.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)


def test_a_priority_nobody_voted_on_has_an_empty_bar_and_no_mention():
    merit = charts.merit_profile(asdict(voting.tally_counts("majority_judgment", ["a"], {}, ballots_counted=0)),
                                 TITLES, GRADES)
    assert merit.rows[0].segments == [] and merit.rows[0].majority_label is None


def test_ranking_rows_share_a_rank_between_tied_priorities():
    rows = charts.ranking_rows([["a", "b"], ["c"], ["d"]], TITLES)
    assert [(r.rank, r.tied) for r in rows] == [(1, True), (3, False), (4, False)]
    assert [c["title"] for c in rows[0].candidates] == [TITLES["a"], TITLES["b"]]
    assert rows[2].candidates[0]["title"] == "d"  # unknown id: shown as is


@pytest.mark.parametrize(("method", "ballots", "key", "expected"), [
    ("single", ["a", "b", "a", "c", "a"], "votes", {"a": 3, "b": 1, "c": 1}),
    ("approval", [["a", "b"], ["b"], []], "approvals", {"a": 1, "b": 2, "c": 0}),
    ("borda", [["a", "b", "c"], ["b"]], "points", {"a": 2.5, "b": 3, "c": 0.5}),
])
def test_bars_are_as_long_as_their_value_relative_to_the_largest(method, ballots, key, expected):
    chart = charts.bar_chart(_result(method, ballots), TITLES)
    values = {bar.id: bar.value for bar in chart.bars}
    assert values == pytest.approx(expected)
    longest = max(chart.bars, key=lambda bar: bar.value)
    assert chart.bars[0] is longest  # best ranked first
    room = charts.PLOT_WIDTH - charts.VALUE_ROOM
    for bar in chart.bars:
        assert bar.width == pytest.approx(bar.value / longest.value * room)
        assert bar.value_x + 6 * 10 <= chart.width  # the value label fits beside the bar
    assert chart.bars[-1].bar_y + chart.bar_height <= chart.height


def test_points_bars_carry_the_share_of_all_points():
    chart = charts.bar_chart(_result("points", [{"a": 6, "b": 4}, {"a": 10}], budget=10), TITLES)
    assert {bar.id: bar.share for bar in chart.bars} == pytest.approx({"a": 0.8, "b": 0.2, "c": 0.0})


def test_no_ballot_gives_empty_bars_not_a_division_by_zero():
    chart = charts.bar_chart(asdict(voting.tally("single", ["a", "b"], [])), TITLES)
    assert all(bar.width == 0 for bar in chart.bars)


def test_schulze_matrix_marks_duels_won_lost_and_tied_and_bars_count_wins():
    # a beats b 2-1 and c 2-1; b beats c 2-1.
    ballots = [["a", "b", "c"], ["b", "c", "a"], ["a", "c", "b"]]
    result = _result("schulze", ballots)
    matrix = charts.pairwise_matrix(result, TITLES)
    assert [row.id for row in matrix] == charts.ranked_ids(result["ranking"])
    cells = {(row.id, cell.against): cell for row in matrix for cell in row.cells}
    assert cells[("a", "a")].outcome == "self" and cells[("a", "a")].value is None
    assert (cells[("a", "b")].value, cells[("a", "b")].outcome) == (2, "win")
    assert (cells[("b", "a")].value, cells[("b", "a")].outcome) == (1, "loss")
    tied = charts.pairwise_matrix(_result("schulze", [["a", "b"], ["b", "a"]]), TITLES)
    assert {c.outcome for row in tied if row.id in ("a", "b")
            for c in row.cells if c.against in ("a", "b") and c.against != row.id} == {"tie"}
    bars = charts.bar_chart(result, TITLES)
    assert {bar.id: bar.value for bar in bars.bars} == {c: result["scores"][c]["wins"] for c in "abc"}


def test_breakdown_groups_below_the_threshold_keep_only_their_name():
    groups = [{"key": 7, "label": "Les Tilleuls", "ballots": 12, "hidden": False, "ranking": [["b"], ["a", "c"]]},
              {"key": 8, "label": "Le Port", "ballots": 3, "hidden": True}]
    rows = charts.breakdown_rows(groups, TITLES)
    assert rows[0].ballots == 12 and [r.rank for r in rows[0].ranking] == [1, 2]
    assert rows[1].hidden and rows[1].ballots is None and rows[1].ranking is None
    labelled = charts.breakdown_rows([{"key": "25_34", "label": "25_34", "ballots": 0, "hidden": True}], TITLES,
                                     {"25_34": "25 à 34 ans"})
    assert labelled[0].label == "25 à 34 ans"


def test_long_titles_are_shortened_in_the_drawing_only():
    long_title = "Une priorité au titre vraiment très long " * 4
    merit = charts.merit_profile(_result("majority_judgment", [{"a": 3}]), {"a": long_title}, GRADES)
    row = next(r for r in merit.rows if r.id == "a")
    assert row.title == long_title and len(row.short_title) <= charts.MAX_TITLE_CHARS
    assert row.short_title.endswith("…")
