"""The results page and the recount files through the test client: hidden before the close,
live and cached during a "live" vote, each method's chart and table, channels, participation,
breakdowns with small groups hidden, the downloads recounted by ``python -m civicsante.voting``,
htmx partial vs full page, and the number of queries once cached.

Assertions look for ids, data attributes and figures rather than wording, so they hold in French
and in English (the French catalogue of these pages comes later)."""
from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from civicsante.accounts.models import User
from civicsante.consultations import services
from civicsante.consultations.models import Consultation
from civicsante.extensions import db
from civicsante.types import utcnow
from civicsante.voting.__main__ import main as recount_main
from tests.support.consultations import cast, make_consultation, priority_ids
from tests.support.factories import make_territory, make_user
from tests.support.html import without_csrf
from tests.support.queries import count_queries

HTMX = {"HX-Request": "true"}
METHODS = ["single", "approval", "borda", "schulze", "points", "majority_judgment"]


def _html(response) -> str:
    return response.get_data(as_text=True)


def _url(cid: int, what: str = "resultats") -> str:
    return f"/consultations/{cid}/{what}"


def _store(app, cid: int, ballots: list, channel: str = "en_ligne") -> None:
    """Ballots stored as the vote stores them, without the accounts (not the point here)."""
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        for ballot in ballots:
            services._store_ballot(consultation, ballot, channel=channel)
        db.session.commit()


def _close(app, cid: int) -> None:
    """End the vote a minute ago: the consultation is now in its results phase."""
    with app.app_context():
        db.session.execute(update(Consultation).where(Consultation.id == cid)
                           .values(vote_ends_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()


def _row(app, cid: int) -> Consultation:
    with app.app_context():
        row = db.session.get(Consultation, cid)
        db.session.expunge(row)
        return row


def _section(html: str, element_id: str, end: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start:html.index(end, start)]


def _order(html: str, element_id: str, end: str, tag: str = "li") -> list[str]:
    return re.findall(rf'<{tag} data-candidate="(\d+)"', _section(html, element_id, end))


def _closed(app, world, method: str, ballots_of, **kwargs):
    """A consultation of ``method`` on the commune whose vote is closed, with the ballots
    ``ballots_of(candidate ids)`` returns; (consultation id, candidate ids)."""
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method=method, **kwargs)
    cands = priority_ids(app, c.id)
    _store(app, c.id, ballots_of(cands))
    _close(app, c.id)
    return c.id, cands


# Hand-built ballots, with the order and figures they must give (p1, p2, p3 = the priorities).
CASES = {
    "single": (lambda p: [p[1], p[1], p[1], p[0], p[0], p[2]], [1, 0, 2], {1: "3", 0: "2", 2: "1"}),
    "approval": (lambda p: [[p[0], p[2]], [p[2]], [p[2], p[1]], [p[0]]], [2, 0, 1], {2: "3", 0: "2", 1: "1"}),
    "points": (lambda p: [{p[0]: 2, p[1]: 8}, {p[1]: 5, p[2]: 5}, {p[2]: 1}], [1, 2, 0], {1: "13", 2: "6", 0: "2"}),
    # n = 3: 2, 1, 0 points; the one ballot ranking only p1 leaves 0.5 to each of the others.
    "borda": (lambda p: [[p[2], p[0], p[1]], [p[2], p[1], p[0]], [p[0]]], [2, 0, 1],
              {2: "4[,.]5", 0: "3", 1: "1[,.]5"}),
    # p2 beats p1 (2-1) and p3 (3-0); p1 beats p3 (2-1): wins 2, 1, 0.
    "schulze": (lambda p: [[p[1], p[0], p[2]], [p[1], p[2], p[0]], [p[0], p[1], p[2]]], [1, 0, 2],
                {1: "2", 0: "1", 2: "0"}),
}


@pytest.mark.parametrize("method", sorted(CASES))
def test_each_method_draws_its_bars_and_table_in_the_ranking_order(app, client, world, method):
    ballots_of, order, figures = CASES[method]
    cid, cands = _closed(app, world, method, ballots_of)
    html = _html(client.get(_url(cid)))
    expected = [cands[i] for i in order]
    assert _order(html, "ranking", "</ol>\n</section>") == expected
    assert re.findall(r'<g class="bar-row" data-candidate="(\d+)"', html) == expected
    assert _order(html, "bars-table", "</table>", tag="tr") == expected
    assert re.search(r'<svg id="bars-chart" class="chart-svg" role="img" aria-label="[^"]+"', html)
    assert "<title>" in _section(html, "bars-chart", "</svg>")
    for i, value in figures.items():
        row = re.search(rf'<tr data-candidate="{cands[i]}">(.*?)</tr>', _section(html, "bars-table", "</table>"), re.S)
        assert re.search(rf'<td class="value">{value}</td>', row.group(1)), (method, i, row.group(1))
    # The bars are as long as their value relative to the largest: the best one is the longest.
    widths = [float(w) for w in re.findall(r'<rect class="bar" [^>]*width="([\d.]+)"', html)]
    assert widths == sorted(widths, reverse=True) and widths[0] > 0


def test_schulze_shows_the_pairwise_matrix_with_the_duels_won_marked(app, client, world):
    cid, p = _closed(app, world, "schulze", CASES["schulze"][0])
    html = _html(client.get(_url(cid)))
    matrix = _section(html, "pairwise-matrix", "</table>")
    assert re.findall(r'<tr data-candidate="(\d+)"', matrix) == [p[1], p[0], p[2]]
    row_p2 = re.search(rf'<tr data-candidate="{p[1]}">(.*?)</tr>', matrix, re.S).group(1)
    # d[p2][p1] = 2 and d[p2][p3] = 3 are wins: bold, a ▲ and words, not colour alone.
    assert re.search(rf'<td class="cell--win" data-against="{p[0]}"><strong>2</strong> <span aria-hidden="true">▲</span>'
                     r'<span class="visually-hidden">\([^)]+\)</span>', row_p2)
    assert f'<td class="cell--win" data-against="{p[2]}"><strong>3</strong>' in row_p2
    row_p3 = re.search(rf'<tr data-candidate="{p[2]}">(.*?)</tr>', matrix, re.S).group(1)
    assert f'<td class="cell--loss" data-against="{p[1]}">0' in row_p3
    assert matrix.count('class="cell--self"') == 3


def test_majority_judgment_draws_the_merit_profile_with_the_50_percent_line_and_the_mentions(app, client, world):
    grades = ([6, 0, 3], [5, 1, 3], [4, 2, 3])  # p1: 4 5 6 → 5; p2: 0 1 2 → 1; p3: 3 3 3 → 3
    cid, p = _closed(app, world, "majority_judgment",
                     lambda p: [dict(zip(p, g, strict=True)) for g in grades])
    html = _html(client.get(_url(cid)))
    expected = [p[0], p[2], p[1]]
    assert _order(html, "ranking", "</ol>\n</section>") == expected
    assert re.findall(r'<g class="merit-row" data-candidate="(\d+)"', html) == expected
    table = _section(html, "merit-table", "</table>")
    assert _order(html, "merit-table", "</table>", tag="tr") == expected
    assert re.findall(r'<td class="mention" data-grade="(\d)">', table) == ["5", "3", "1"]
    # One segment per grade given, a third of the bar each; the line at 50 % of the plot.
    svg = _section(html, "merit-chart", "</svg>")
    assert re.search(r'id="merit-chart" class="chart-svg" role="img" aria-label="[^"]+"', svg) and "<title>" in svg
    segments = re.findall(r'<rect class="segment" data-grade="(\d)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert len(segments) == 7  # p1: 3 grades, p2: 3 grades, p3: 1 grade
    p3_segment = [s for s in segments if s[0] == "3"]
    assert p3_segment and float(p3_segment[0][2]) == pytest.approx(580)
    assert re.search(r'<line class="median-line" x1="300.0" x2="300.0"', svg)
    # The legend names every grade, so the colours are never the only key.
    assert _section(html, "merit-legend-title", "</ul>").count("<li>") == 7
    # The mention majoritaire is written in the drawing too.
    with app.app_context():
        labels = db.session.get(Consultation, cid).grade_labels
    assert f"— {html_lib.escape(labels[5])}</text>" in svg


def test_ties_share_a_rank_and_say_ex_aequo(app, client, world):
    cid, p = _closed(app, world, "single", lambda p: [p[0], p[1]])
    html = _html(client.get(_url(cid)))
    ranking = _section(html, "ranking", "</ol>")
    tiers = re.findall(r'data-rank="(\d+)"', ranking)
    assert tiers == ["1", "3"]
    first = ranking[:ranking.index('data-rank="3"')]
    assert re.findall(r'<li data-candidate="(\d+)"', first) == [p[0], p[1]]
    assert "ex aequo" in first


# Visibility -----------------------------------------------------------------------------------

def test_results_after_the_close_only_leak_nothing_before(app, client, world):
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method="single")
    p = priority_ids(app, c.id)
    _store(app, c.id, [p[2]] * 7 + [p[0]] * 4)
    for headers in ({}, HTMX):
        response = client.get(_url(c.id), headers=headers)
        page = _html(response)
        assert response.status_code == 200
        assert 'id="results-pending"' in page
        for leak in ('id="ballots-counted"', "<svg", 'data-rank=', 'data-candidate=', "data-channel", "hx-trigger",
                     'id="downloads"', "bulletins.csv"):
            assert leak not in page, leak
        region = _section(page, "results-region", "</main>") if "</main>" in page else page
        # The date the results come out ("… le 3 décembre 2026, 11:04") is no figure of the vote.
        region = re.sub(r"\d{1,2} \w+ \d{4}, \d{2}:\d{2}", "", region)
        assert not re.search(r"\b(7|4|11)\b", region)
    # Nothing was even computed: no figure sits in the consultation row either.
    row = _row(app, c.id)
    assert row.results_json is None and row.results_computed_at is None
    assert client.get(_url(c.id, "bulletins.csv")).status_code == 404
    assert client.get(_url(c.id, "bulletins.json")).status_code == 404

    _close(app, c.id)
    page = _html(client.get(_url(c.id)))
    assert re.search(r'<dd id="ballots-counted">11</dd>', page)
    assert _order(page, "ranking", "</ol>")[:2] == [p[2], p[0]]
    assert 'id="results-provisional"' not in page and "hx-trigger" not in page
    assert 'href="/consultations/%d/bulletins.csv"' % c.id in page
    assert 'href="/consultations/%d/bulletins.json"' % c.id in page
    assert f'href="/consultations/{c.id}"' in page  # back to the consultation


def test_live_results_are_provisional_polled_and_cached_for_a_few_seconds(app, client, world):
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method="approval",
                          results_visibility="en_direct")
    p = priority_ids(app, c.id)
    _store(app, c.id, [[p[0]], [p[0], p[1]]])
    page = _html(client.get(_url(c.id)))
    assert 'id="results-provisional"' in page
    region = re.search(r'<div id="results-region"[^>]*>', page).group(0)
    assert f'hx-get="/consultations/{c.id}/resultats"' in region and 'hx-trigger="every 10s"' in region
    assert 'hx-swap="outerHTML"' in region
    assert '<dd id="ballots-counted">2</dd>' in page
    assert 'id="downloads"' not in page  # the ballots are published after the close only
    first = _row(app, c.id).results_computed_at
    assert first is not None

    # A new ballot within the next seconds: the cached figures are served, not recomputed.
    _store(app, c.id, [[p[2]]])
    partial = _html(client.get(_url(c.id), headers=HTMX))
    assert '<dd id="ballots-counted">2</dd>' in partial and 'hx-trigger="every 10s"' in partial
    assert _row(app, c.id).results_computed_at == first

    # Once the cache is older than the limit, the next request counts again.
    with app.app_context():
        db.session.execute(update(Consultation).where(Consultation.id == c.id)
                           .values(results_computed_at=utcnow() - timedelta(seconds=6)))
        db.session.commit()
    partial = _html(client.get(_url(c.id), headers=HTMX))
    assert '<dd id="ballots-counted">3</dd>' in partial
    assert _row(app, c.id).results_computed_at > first

    # At the close the region stops polling and the final results are counted once more.
    _close(app, c.id)
    partial = _html(client.get(_url(c.id), headers=HTMX))
    assert "hx-trigger" not in partial and 'id="results-provisional"' not in partial
    assert _row(app, c.id).results_computed_at >= _row(app, c.id).vote_ends_at


def test_live_results_before_the_vote_opens_say_when(app, client, world):
    c = make_consultation(app, territory_id=world.commune.id, phase="deliberation", results_visibility="en_direct")
    page = _html(client.get(_url(c.id)))
    assert 'id="results-pending"' in page and "<svg" not in page and "hx-trigger" not in page


@pytest.mark.parametrize("method", METHODS)
def test_a_vote_closed_without_any_ballot_says_so(app, client, world, method):
    cid, _p = _closed(app, world, method, lambda p: [])
    page = _html(client.get(_url(cid)))
    assert '<dd id="ballots-counted">0</dd>' in page and 'id="results-empty"' in page
    assert 'id="ranking"' not in page
    assert client.get(_url(cid, "bulletins.csv")).get_data(as_text=True).count("\n") == 1  # the header


def test_unknown_consultation_is_404(client):
    for what in ("resultats", "bulletins.csv", "bulletins.json"):
        assert client.get(_url(987654, what)).status_code == 404


# Participation, channels, breakdowns ------------------------------------------------------------

def test_online_paper_and_assisted_ballots_are_counted_and_shown_apart(app, client, world):
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method="single")
    p = priority_ids(app, c.id)
    for _ in range(3):
        cast(app, c.id, p[0], territory_id=world.commune.id)
    assisted = make_user(app, home_territory_id=world.commune.id)
    with app.app_context():
        consultation = db.session.get(Consultation, c.id)
        services.cast_ballot(consultation, db.session.get(User, assisted.id), p[1],
                             entered_by=db.session.get(User, c.created_by_id))
        db.session.commit()
    _store(app, c.id, [p[1], p[2]], channel="papier")
    _close(app, c.id)
    page = _html(client.get(_url(c.id)))
    assert '<dd id="ballots-counted">6</dd>' in page
    assert '<dd data-channel="en_ligne">3</dd>' in page
    assert '<dd data-channel="papier">2</dd>' in page
    assert '<dd data-channel="assiste">1</dd>' in page
    # 4 voters with an account out of 5 eligible residents (the facilitator lives there too),
    # written the French way.
    rate = _section(page, "participation-rate", "</dd>")
    assert "80,0\u00a0%" in rate and re.search(r"\b5\b", rate)


def test_breakdown_groups_under_10_voters_are_hidden_without_their_figures(app, client, world):
    other = make_territory(app, name="Le Port", kind="quartier", parent_id=world.commune.id)
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method="single")
    p = priority_ids(app, c.id)
    for _ in range(11):
        cast(app, c.id, p[1], territory_id=world.quartier.id, age_band="25_34")
    for _ in range(3):
        cast(app, c.id, p[2], territory_id=other.id, age_band="65_74")
    # Two small groups in each breakdown: a single one could be worked out as total minus the rest.
    third = make_territory(app, name="La Gare", kind="quartier", parent_id=world.commune.id)
    for _ in range(2):
        cast(app, c.id, p[2], territory_id=third.id, age_band="75_et_plus")
    _close(app, c.id)
    page = _html(client.get(_url(c.id)))

    territories = _section(page, "breakdown-territory", "</table>")
    shown = re.search(rf'<tr data-group="{world.quartier.id}">(.*?)</tr>', territories, re.S).group(1)
    assert "Les Tilleuls" in shown and "<td>11</td>" in shown and "Priorité 2" in shown
    hidden = re.search(rf'<tr data-group="{other.id}">(.*?)</tr>', territories, re.S).group(1)
    assert "Le Port" in hidden and 'class="group-hidden"' in hidden
    assert re.search(r"(masqué|hidden) \((moins de|fewer than) 10 (votant·es|voters)\)", hidden)
    assert not re.search(r"\b3\b", hidden) and "Priorité" not in hidden

    ages = _section(page, "breakdown-age_band", "</table>")
    young = re.search(r'<tr data-group="25_34">(.*?)</tr>', ages, re.S).group(1)
    assert "<td>11</td>" in young
    old = re.search(r'<tr data-group="65_74">(.*?)</tr>', ages, re.S).group(1)
    assert 'class="group-hidden"' in old and not re.search(r"<td>\d", old) and "Priorité" not in old
    empty = re.search(r'<tr data-group="50_64">(.*?)</tr>', ages, re.S).group(1)
    assert 'class="group-hidden"' in empty  # a group nobody is in shows no figure either


def test_a_lone_small_group_hides_the_smallest_shown_one_too(app, client, world):
    other = make_territory(app, name="Le Port", kind="quartier", parent_id=world.commune.id)
    c = make_consultation(app, territory_id=world.commune.id, phase="vote", method="single")
    p = priority_ids(app, c.id)
    for _ in range(11):
        cast(app, c.id, p[1], territory_id=world.quartier.id, age_band="25_34")
    for _ in range(3):
        cast(app, c.id, p[2], territory_id=other.id, age_band="25_34")
    _close(app, c.id)
    territories = _section(_html(client.get(_url(c.id))), "breakdown-territory", "</table>")
    # 14 ballots, 11 shown for Les Tilleuls would tell that Le Port has 3: both are hidden.
    for group in (world.quartier.id, other.id):
        row = re.search(rf'<tr data-group="{group}">(.*?)</tr>', territories, re.S).group(1)
        assert 'class="group-hidden"' in row and "<td>11</td>" not in row and not re.search(r"\b3\b", row)


# Recount files ----------------------------------------------------------------------------------

RECOUNT_BALLOTS = {
    "single": lambda p: [p[0]] * 3 + [p[1]] * 5 + [p[2]],
    "approval": lambda p: [[p[0], p[1]], [p[1]], [], [p[2], p[0]], [p[0]]],
    "borda": lambda p: [[p[2], p[0], p[1]], [p[1]], [p[0], p[2]], [], [p[1], p[0]]],
    "schulze": lambda p: [[p[2], p[0], p[1]], [p[1]], [p[0], p[2]], [], [p[1], p[0]], [p[0]]],
    "points": lambda p: [{p[0]: 3, p[1]: 7}, {p[2]: 10}, {}, {p[0]: 10}],
    "majority_judgment": lambda p: [{p[0]: 6, p[1]: 2, p[2]: 4}, {p[0]: 1, p[1]: 5}, {}, {p[0]: 3, p[1]: 3, p[2]: 3}],
}


def _recount(tmp_path, capsys, name: str, body: bytes, args: list[str]) -> dict:
    path = tmp_path / name
    path.write_bytes(body)
    capsys.readouterr()
    assert recount_main([args[0], str(path), *args[1:], "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("method", METHODS)
def test_downloaded_ballots_recount_to_the_site_ranking(app, client, world, method, tmp_path, capsys):
    cid, p = _closed(app, world, method, RECOUNT_BALLOTS[method], priorities=3,
                     **({"max_approvals": 2} if method == "approval" else {}))
    page = _html(client.get(_url(cid)))
    site_ranking = [re.findall(r'<li data-candidate="(\d+)"', tier)
                    for tier in re.split(r'<li class="ranking-tier"', _section(page, "ranking", "</ol>"))[1:]]

    response = client.get(_url(cid, "bulletins.json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data())
    assert data["tally"]["ranking"] == site_ranking
    assert set(data) == {"consultation", "method", "candidates", "candidate_titles", "options", "ballots", "tally"}
    assert data["candidates"] == p and data["candidate_titles"][p[0]] == "Priorité 1"
    assert len(data["ballots"]) == len(RECOUNT_BALLOTS[method](p))
    # A ballot is only candidate ids and values: no voter, no time, no channel.
    flat = json.dumps(data["ballots"])
    assert not re.search(r"voter|time|date|channel|en_ligne|\d{4}-\d\d-\d\d", flat)
    recounted = _recount(tmp_path, capsys, "bulletins.json", response.get_data(), [method])
    assert recounted["ranking"] == site_ranking

    response = client.get(_url(cid, "bulletins.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == p and len(rows) - 1 == len(RECOUNT_BALLOTS[method](p))
    # The command the page gives for the CSV (the options as flags) recounts it.
    command = html_lib.unescape(re.findall(r"<code>(python -m civicsante\.voting [^<]+)</code>", page)[0]).split()
    assert command[3] == method and command[4].endswith(".csv")
    recounted = _recount(tmp_path, capsys, "bulletins.csv", response.get_data(), [method, *command[5:]])
    assert recounted["ranking"] == site_ranking
    assert recounted["ballots_counted"] == len(RECOUNT_BALLOTS[method](p))


def test_downloads_are_shuffled(app, client, world):
    cid, p = _closed(app, world, "single", lambda p: [p[0]] * 20 + [p[1]] * 20)
    orders = {client.get(_url(cid, "bulletins.csv")).get_data(as_text=True) for _ in range(4)}
    # Four identical files out of C(40, 20) ≈ 1.4·10¹¹ possible orders: odds below 10⁻³³.
    assert len(orders) > 1


# htmx and queries -------------------------------------------------------------------------------

def test_htmx_gets_the_results_region_the_page_includes(app, client, world):
    cid, _p = _closed(app, world, "majority_judgment",
                      lambda p: [dict(zip(p, g, strict=True)) for g in ([6, 0, 3], [5, 1, 3])])
    full = client.get(_url(cid))
    partial = client.get(_url(cid), headers=HTMX)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in partial.headers["Vary"]
    full_html, part_html = without_csrf(_html(full)), without_csrf(_html(partial))
    assert "<html" in full_html and "<html" not in part_html and "results.css" not in part_html
    assert part_html.startswith('<div id="results-region"')
    assert part_html.strip() in full_html


def _queries(app, client, path: str) -> int:
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_results_page_queries_are_bounded_once_cached(app, client, world, who):
    from tests.conftest import log_in

    if who == "resident":
        log_in(client, make_user(app, home_territory_id=world.commune.id).email)
    small, _ = _closed(app, world, "schulze", lambda p: [p, p[::-1]])
    big, _ = _closed(app, world, "schulze", lambda p: [p, p[::-1], p[1:]] * 20, priorities=6)
    counts = []
    for cid in (small, big):
        client.get(_url(cid))  # computes and caches the final tally
        counts.append(_queries(app, client, _url(cid)))
    assert counts[0] == counts[1]
    assert counts[0] <= 6, counts
