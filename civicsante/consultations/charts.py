"""What the results page draws, computed from the results dict (``results.results_for``): the
ranking with shared ranks, the *profil de mérites* of majority judgment, the pairwise matrix of
Schulze and the bars of the other methods, and the breakdowns.

Pure functions returning plain view models (no Flask, no database): the templates only place
what is computed here, so the geometry is tested without rendering. SVG coordinates are in the
chart's own units (its ``viewBox``); shares are fractions 0..1 and the templates format them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

# Geometry of the horizontal charts (SVG user units).
CHART_WIDTH = 600
MARGIN_X = 10
PLOT_LEFT = MARGIN_X
PLOT_WIDTH = CHART_WIDTH - 2 * MARGIN_X
TOP = 28            # room for the "50 %" label above the bars
TITLE_HEIGHT = 20   # the priority's title sits on its own line above its bar
BAR_HEIGHT = 28
ROW_GAP = 14
ROW_HEIGHT = TITLE_HEIGHT + BAR_HEIGHT + ROW_GAP
BOTTOM = 6
# A value label needs this much room beside a plain bar.
VALUE_ROOM = 90
# Estimated width of one character of the 12-unit text written inside a segment, and the
# padding a label needs: a label is written only where it fits.
CHAR_WIDTH = 7.2
LABEL_PADDING = 8
# Titles longer than this are shortened in the drawing (the table beside it has them whole).
MAX_TITLE_CHARS = 70

# Majority judgment grade colours, worst to best (red → yellow → green, ColorBrewer RdYlGn).
GRADE_PALETTE = ("#a50026", "#d73027", "#f46d43", "#fee08b", "#a6d96a", "#1a9850", "#006837")
INK, WHITE = "#1d1d1f", "#ffffff"
BAR_FILL = "#0b5e55"  # the site's brand colour (7.6:1 on white)


# Colours ------------------------------------------------------------------------------------------

def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@lru_cache(maxsize=256)
def text_colour_on(fill: str) -> str:
    """Dark or white text, whichever contrasts more with ``fill``."""
    return INK if contrast_ratio(fill, INK) >= contrast_ratio(fill, WHITE) else WHITE


def readable(fill: str, minimum: float = 4.5) -> str:
    """``fill``, lightened just enough for dark text to reach ``minimum`` contrast on it when
    neither dark nor white text does (an interpolated mid-tone can fall between the two)."""
    rgb = _rgb(fill)
    while max(contrast_ratio(_hex(rgb), INK), contrast_ratio(_hex(rgb), WHITE)) < minimum:
        rgb = tuple(c + (255 - c) * 0.1 for c in rgb)
    return _hex(rgb)


def grade_colours(grades: int) -> list[str]:
    """``grades`` fills from worst to best, spread over the palette (taken from it up to its
    length, interpolated beyond), each one carrying readable text."""
    if grades <= 0:
        return []
    if grades == 1:
        return [GRADE_PALETTE[-1]]
    last = len(GRADE_PALETTE) - 1
    out = []
    for i in range(grades):
        pos = i * last / (grades - 1)
        if grades <= len(GRADE_PALETTE):
            out.append(GRADE_PALETTE[round(pos)])
            continue
        lo = int(pos)
        hi = min(lo + 1, last)
        t = pos - lo
        a, b = _rgb(GRADE_PALETTE[lo]), _rgb(GRADE_PALETTE[hi])
        out.append(readable(_hex(tuple(x + (y - x) * t for x, y in zip(a, b, strict=True)))))
    return out


# Ranking ------------------------------------------------------------------------------------------

@dataclass
class RankRow:
    rank: int            # shared by tied candidates ("1, 1, 3": standard competition ranking)
    tied: bool
    candidates: list[dict]  # {"id", "title"}


def ranking_rows(ranking: list[list[str]], titles: dict[str, str]) -> list[RankRow]:
    rows, rank = [], 1
    for tier in ranking:
        rows.append(RankRow(rank=rank, tied=len(tier) > 1,
                            candidates=[{"id": cid, "title": titles.get(cid, cid)} for cid in tier]))
        rank += len(tier)
    return rows


def ranked_ids(ranking: list[list[str]]) -> list[str]:
    return [cid for tier in ranking for cid in tier]


def rank_of(ranking: list[list[str]]) -> dict[str, int]:
    return {c["id"]: row.rank for row in ranking_rows(ranking, {}) for c in row.candidates}


def short_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    return title if len(title) <= limit else title[:limit - 1].rstrip() + "…"


# Majority judgment: the merit profile -------------------------------------------------------------

@dataclass
class Segment:
    grade: int
    label: str
    count: int
    share: float       # of the priority's ballots, 0..1
    x: float           # SVG units
    y: float           # the top of the priority's bar
    width: float
    fill: str
    text_fill: str
    text: str | None   # written inside: "Bien 40 %", or only "40 %", or nothing if too narrow

    @property
    def text_x(self) -> float:
        return self.x + self.width / 2

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT // 2 + 4   # the baseline of 12-unit text centred in the bar


@dataclass
class MeritRow:
    id: str
    title: str
    short_title: str
    rank: int
    total: int
    profile: list[int]   # ballots per grade, worst to best, zeros included (the table's cells)
    segments: list[Segment]
    majority_grade: int | None
    majority_label: str | None
    title_y: float
    bar_y: float


@dataclass
class MeritProfile:
    rows: list[MeritRow]
    legend: list[dict]   # {"grade", "label", "fill", "text_fill"}
    width: int
    height: int
    median_x: float      # the 50 % line
    plot_left: float
    plot_width: float
    bar_height: int = BAR_HEIGHT
    ink: str = INK       # the outlines and the dark labels (the drawing's default text colour)

    @property
    def grade_layers(self) -> list[tuple[str, list[Segment]]]:
        """The segments of every bar grouped by grade, worst first, with the grade's fill: the
        drawing states each fill once per grade rather than once per segment."""
        return [(item["fill"], [s for row in self.rows for s in row.segments if s.grade == item["grade"]])
                for item in self.legend]

    @property
    def labelled_segments(self) -> list[Segment]:
        return [s for row in self.rows for s in row.segments if s.text]

    @property
    def outlines(self) -> str:
        """One path drawing the frame of every bar."""
        return "".join(f"M{self.plot_left:g} {row.bar_y:g}h{self.plot_width:g}v{self.bar_height:g}H{self.plot_left:g}z"
                       for row in self.rows)


def fits(text: str, width: float) -> bool:
    return len(text) * CHAR_WIDTH + LABEL_PADDING <= width


def _default_percent(share: float) -> str:
    return f"{round(share * 100)} %"


def segment_text(label: str, share: float, width: float, percent=_default_percent) -> str | None:
    """The grade and its share where both fit, else the share alone, else nothing (the legend
    and the table beside the chart still say it)."""
    share_text = percent(share)
    for text in (f"{label} {share_text}", share_text):
        if fits(text, width):
            return text
    return None


def merit_profile(result: dict, titles: dict[str, str], grade_labels: list[str],
                  percent=_default_percent) -> MeritProfile:
    """One stacked bar per priority (best ranked first), one segment per grade worst to best,
    each as wide as its share of the ballots; the 50 % line crosses every bar at its median.
    ``percent`` formats a share for the labels written inside the segments."""
    fills = grade_colours(len(grade_labels))
    ranks = rank_of(result["ranking"])
    rows = []
    for i, cid in enumerate(ranked_ids(result["ranking"])):
        score = result["scores"][cid]
        profile = list(score["profile"])
        total = sum(profile)
        top = TOP + i * ROW_HEIGHT
        bar_y = top + TITLE_HEIGHT
        x = float(PLOT_LEFT)
        segments = []
        for grade, count in enumerate(profile):
            share = count / total if total else 0.0
            width = share * PLOT_WIDTH
            segments.append(Segment(grade=grade, label=grade_labels[grade], count=count, share=share, x=x, y=bar_y,
                                    width=width, fill=fills[grade], text_fill=text_colour_on(fills[grade]),
                                    text=segment_text(grade_labels[grade], share, width, percent)))
            x += width
        mg = score.get("majority_grade")
        rows.append(MeritRow(id=cid, title=titles.get(cid, cid), short_title=short_title(titles.get(cid, cid)),
                             rank=ranks[cid], total=total, profile=profile, segments=[s for s in segments if s.count],
                             majority_grade=mg, majority_label=grade_labels[mg] if mg is not None else None,
                             title_y=top + TITLE_HEIGHT - 6, bar_y=bar_y))
    legend = [{"grade": g, "label": label, "fill": fills[g], "text_fill": text_colour_on(fills[g])}
              for g, label in enumerate(grade_labels)]
    height = TOP + len(rows) * ROW_HEIGHT - ROW_GAP + BOTTOM
    return MeritProfile(rows=rows, legend=legend, width=CHART_WIDTH, height=height,
                        median_x=PLOT_LEFT + PLOT_WIDTH / 2, plot_left=PLOT_LEFT, plot_width=PLOT_WIDTH)


# Bars ---------------------------------------------------------------------------------------------

@dataclass
class Bar:
    id: str
    title: str
    short_title: str
    rank: int
    value: float
    share: float | None   # of the ballots (single, approval) or of all points (points)
    width: float
    title_y: float
    bar_y: float

    @property
    def value_x(self) -> float:
        return PLOT_LEFT + self.width + 6


@dataclass
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    max_value: float
    plot_left: float = PLOT_LEFT
    bar_height: int = BAR_HEIGHT


# What each method's bars measure, from Result.scores (civicsante/voting/*.py).
BAR_VALUE = {"single": "votes", "approval": "approvals", "points": "points", "borda": "points",
             "schulze": "wins"}


def bar_chart(result: dict, titles: dict[str, str]) -> BarChart:
    """Horizontal bars, best ranked first, as long as their value relative to the largest."""
    key = BAR_VALUE[result["method"]]
    ranks = rank_of(result["ranking"])
    ids = ranked_ids(result["ranking"])
    values = {cid: result["scores"][cid][key] for cid in ids}
    top_value = max(values.values(), default=0)
    room = PLOT_WIDTH - VALUE_ROOM
    bars = []
    for i, cid in enumerate(ids):
        top = TOP + i * ROW_HEIGHT
        value = values[cid]
        bars.append(Bar(id=cid, title=titles.get(cid, cid), short_title=short_title(titles.get(cid, cid)),
                        rank=ranks[cid], value=value, share=result["scores"][cid].get("share"),
                        width=(value / top_value * room) if top_value else 0.0,
                        title_y=top + TITLE_HEIGHT - 6, bar_y=top + TITLE_HEIGHT))
    height = TOP + len(bars) * ROW_HEIGHT - ROW_GAP + BOTTOM
    return BarChart(bars=bars, width=CHART_WIDTH, height=height, max_value=top_value)


# Schulze: the pairwise matrix ---------------------------------------------------------------------

@dataclass
class MatrixCell:
    against: str
    value: int | None      # None on the diagonal
    outcome: str           # "win", "loss", "tie" or "self"


@dataclass
class MatrixRow:
    id: str
    title: str
    rank: int
    cells: list[MatrixCell] = field(default_factory=list)


def pairwise_matrix(result: dict, titles: dict[str, str]) -> list[MatrixRow]:
    """d[a][b] (ballots preferring a to b), rows and columns in ranking order; a cell is a win
    when more ballots prefer a to b than b to a."""
    ids = ranked_ids(result["ranking"])
    ranks = rank_of(result["ranking"])
    rows = []
    for a in ids:
        row = MatrixRow(id=a, title=titles.get(a, a), rank=ranks[a])
        d = result["scores"][a]["pairwise"]
        for b in ids:
            if a == b:
                row.cells.append(MatrixCell(against=b, value=None, outcome="self"))
                continue
            ab, ba = d.get(b, 0), result["scores"][b]["pairwise"].get(a, 0)
            row.cells.append(MatrixCell(against=b, value=ab,
                                        outcome="win" if ab > ba else "loss" if ab < ba else "tie"))
        rows.append(row)
    return rows


# Breakdowns ---------------------------------------------------------------------------------------

@dataclass
class GroupRow:
    key: str
    label: str
    hidden: bool
    ballots: int | None            # None when hidden: the figure never reaches the template
    ranking: list[RankRow] | None


def breakdown_rows(groups: list[dict], titles: dict[str, str], labels: dict | None = None) -> list[GroupRow]:
    """Groups of the breakdown; a group below the anonymity threshold keeps only its name."""
    rows = []
    for group in groups:
        label = (labels or {}).get(group["key"], group["label"])
        if group["hidden"]:
            rows.append(GroupRow(key=str(group["key"]), label=label, hidden=True, ballots=None, ranking=None))
        else:
            rows.append(GroupRow(key=str(group["key"]), label=label, hidden=False, ballots=group["ballots"],
                                 ranking=ranking_rows(group.get("ranking") or [], titles)))
    return rows
