"""The merit profile drawn in layers (charts.MeritProfile.grade_layers, labelled_segments,
outlines): every segment once, in the layer of its grade, with that grade's fill."""
from __future__ import annotations

from dataclasses import asdict

from civicsante import voting
from civicsante.consultations import charts

GRADES = ["À rejeter", "Insuffisant", "Passable", "Assez bien", "Bien", "Très bien", "Excellent"]
BALLOTS = [{"a": 6, "b": 2, "c": 0}, {"a": 4, "b": 2, "c": 1}, {"a": 4, "b": 5}, {"a": 1, "b": 3, "c": 6},
           {"a": 5, "b": 0, "c": 3}, {"a": 2, "b": 6}, {"a": 3, "b": 4, "c": 2}]


def _merit() -> charts.MeritProfile:
    result = asdict(voting.tally("majority_judgment", ["a", "b", "c"], BALLOTS, grades=len(GRADES)))
    return charts.merit_profile(result, {"a": "A", "b": "B", "c": "C"}, GRADES)


def test_each_segment_is_drawn_once_in_the_layer_of_its_grade():
    merit = _merit()
    layers = merit.grade_layers
    assert [fill for fill, _segments in layers] == charts.grade_colours(len(GRADES))
    drawn = [s for _fill, segments in layers for s in segments]
    assert sorted(map(id, drawn)) == sorted(id(s) for row in merit.rows for s in row.segments)
    for fill, segments in layers:
        assert all(s.fill == fill for s in segments)
    # Each segment sits on its own priority's bar.
    for row in merit.rows:
        assert all(s.y == row.bar_y for s in row.segments)


def test_labels_sit_in_their_segment_and_the_frames_cover_every_bar():
    merit = _merit()
    for s in merit.labelled_segments:
        assert s.text and s.x <= s.text_x <= s.x + s.width and s.y < s.text_y < s.y + merit.bar_height
    assert merit.outlines.count("M") == len(merit.rows)
    assert merit.outlines.startswith(f"M{merit.plot_left:g} {merit.rows[0].bar_y:g}h{merit.plot_width:g}")
