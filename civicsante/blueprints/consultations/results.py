"""Results of a consultation (ranking, charts, participation, breakdowns; live while a "live"
vote runs) and the anonymised ballots anyone can download to recount them."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime
from functools import lru_cache

from babel import Locale, numbers
from flask import Response, abort, current_app, render_template, request
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from civicsante.blueprints.account.forms import AGE_BAND_LABELS
from civicsante.blueprints.rendering import render_page_or_partial
from civicsante.cache import KeptCopies
from civicsante.consultations import charts, policy
from civicsante.consultations import results as tally
from civicsante.consultations.models import (
    LIVE,
    METHOD_LABELS,
    RANKED_METHODS,
    VOTE,
    Consultation,
)
from civicsante.extensions import db
from civicsante.types import utcnow

from . import bp

# The results region asks for fresh figures this often while a live vote runs.
LIVE_REFRESH = "every 10s"
# The column headings of each method's bars: what the bar measures, and of what the share is.
BAR_HEADINGS = {
    "single": (_l("Votes"), _l("Share of the ballots")),
    "approval": (_l("Approvals"), _l("Share of the ballots approving it")),
    "points": (_l("Points"), _l("Share of all the points")),
    "borda": (_l("Borda points"), None),
    "schulze": (_l("Priorities it beats"), None),
}
# Command-line flags of ``python -m civicsante.voting`` for the consultation's tally options.
RECOUNT_FLAGS = {"grades": "--grades", "budget": "--budget", "max_approvals": "--max-approvals"}
# Rendered results regions kept per worker process: about 25 KB each for 10 priorities, so a
# couple of MB at most; the least recently served goes first.
REGION_CACHE_SIZE = 64


def _load(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


# A results page writes a few hundred figures, many twice (in the drawing and in its table):
# each is formatted by Babel once per locale and value.
@lru_cache(maxsize=8192)
def _percent_in(locale: Locale, value: float) -> str:
    pattern = locale.percent_formats[None].pattern
    return numbers.format_percent(value, re.sub(r"0(?![0#.])", "0.0", pattern, count=1), locale=locale)


@lru_cache(maxsize=8192)
def _number_in(locale: Locale, value) -> str:
    return numbers.format_decimal(value, "#,##0.##", locale=locale)


def percent(value: float | None) -> str:
    """A share as a French (or English) percentage with one decimal: "12,3 %"."""
    if value is None:
        return ""
    return _percent_in(get_locale(), value)


def number(value) -> str:
    return _number_in(get_locale(), value)


def recount_command(consultation: Consultation, filename: str, json_output: bool = False) -> str:
    """The command that recounts a downloaded file (the CSV carries no options: they are flags)."""
    words = ["python", "-m", "civicsante.voting", consultation.method, filename]
    if filename.endswith(".csv"):
        for key, value in consultation.tally_options.items():
            if value is not None:
                words += [RECOUNT_FLAGS[key], str(value)]
    if json_output:
        words.append("--json")
    return " ".join(words)


def _filename(consultation: Consultation, ext: str) -> str:
    return f"consultation-{consultation.id}-bulletins.{ext}"


def _view(consultation: Consultation, data: dict | None) -> dict:
    """What the templates draw, from the results dict."""
    if data is None:
        return {}
    result = data["result"]
    titles = {p.candidate_id: p.title for p in consultation.priorities}
    view = {"ranking": charts.ranking_rows(result["ranking"], titles), "titles": titles}
    if consultation.method == "majority_judgment":
        view["merit"] = charts.merit_profile(result, titles, consultation.grade_labels, percent)
        view["mentions"] = {row.id: row.majority_label for row in view["merit"].rows}
    else:
        view["bars"] = charts.bar_chart(result, titles)
    if consultation.method == "schulze":
        view["matrix"] = charts.pairwise_matrix(result, titles)
    view["breakdowns"] = {
        "territory": charts.breakdown_rows(data["breakdowns"]["territory"], titles),
        "age_band": charts.breakdown_rows(data["breakdowns"]["age_band"], titles,
                                          {k: str(v) for k, v in AGE_BAND_LABELS.items()}),
    }
    return view


def _with_fresh_cache(consultation_id: int) -> Consultation:
    return tally.refreshed(_load(consultation_id))


class RenderedRegions(KeptCopies):
    """The results region's HTML, kept in this worker process and keyed on everything it is
    drawn from, so that the same figures are not drawn again for every visitor (drawing them
    is most of the page's time: 70 segments and their figures for 10 priorities and 7 grades).

    Why a kept copy is never stale: nothing is invalidated, the key is read afresh from the
    consultation row on every request. It holds the stored results themselves (a digest of
    ``results_json``) and when they were counted, the method and its settings, the dates and
    visibility the region speaks of, the locale and time zone, and what this viewer may see
    (results public, live and polling, ballots downloadable). A recount, a live refresh or a
    change of settings writes new results (``update_consultation`` clears them), hence a new
    key; each worker reads the same row, so no worker serves figures another has replaced.
    The priorities' titles are not in the key: they are frozen once the vote opens
    (``services.add_priority`` and ``remove_priority`` refuse) and there are results only from
    the vote on. Nothing about the signed-in person is drawn in the region, and only public
    results are ever kept: a consultation whose results are not public is drawn afresh, with
    no figure, whatever was kept before."""

    def __init__(self, size: int = REGION_CACHE_SIZE):
        super().__init__(size)


def rendered_regions() -> RenderedRegions:
    """This app's kept regions (one store per app, so test apps never share one)."""
    return current_app.extensions.setdefault("consultation_results_regions", RenderedRegions())


def region_key(consultation: Consultation, *, live: bool, downloadable: bool) -> tuple:
    digest = hashlib.blake2b((consultation.results_json or "").encode(), digest_size=16).digest()
    return (consultation.id, consultation.results_computed_at, digest, consultation.method,
            consultation.grade_labels_json, consultation.max_approvals, consultation.points_budget,
            consultation.results_visibility, consultation.vote_starts_at, consultation.vote_ends_at,
            live, downloadable, str(get_locale()), str(get_timezone()), request.script_root)


def _draw_region(consultation: Consultation, data: dict | None, *, public: bool, live: bool,
                 downloadable: bool) -> Markup:
    return Markup(render_template(
        "consultations/_results_region.html",
        consultation=consultation, public=public, live=live, data=data, view=_view(consultation, data),
        downloadable=downloadable, refresh=LIVE_REFRESH,
        method_label=METHOD_LABELS[consultation.method], min_group=tally.MIN_GROUP_SIZE,
        bar_headings=BAR_HEADINGS.get(consultation.method), percent=percent, number=number,
        recount_csv=recount_command(consultation, _filename(consultation, "csv")),
        recount_json=recount_command(consultation, _filename(consultation, "json"), json_output=True)))


def results_region(consultation: Consultation, now: datetime) -> Markup:
    """The results region for this request: the kept copy when the figures, the locale and
    what may be seen are the same, else drawn (and kept when the results are public)."""
    public = policy.results_public(consultation, now)
    downloadable = policy.ballots_downloadable(consultation, now)
    if not public:
        return _draw_region(consultation, None, public=public, live=False, downloadable=downloadable)
    live = consultation.phase(now) == VOTE and consultation.results_visibility == LIVE
    regions = rendered_regions()
    key = region_key(consultation, live=live, downloadable=downloadable)
    html = regions.get(key)
    if html is None:
        html = _draw_region(consultation, tally.stored_results(consultation), public=True, live=live,
                            downloadable=downloadable)
        regions.put(key, html)
    return html


@bp.get("/consultations/<int:consultation_id>/resultats")
def results(consultation_id: int):
    now = utcnow()  # one instant for every "may this be seen" of the request
    consultation = _load(consultation_id)
    if policy.results_public(consultation, now):
        consultation = _with_fresh_cache(consultation_id)
    return render_page_or_partial(
        "consultations/results.html", "consultations/_results_region_markup.html",
        consultation=consultation, region=results_region(consultation, now))


# Recount files --------------------------------------------------------------------------------

def _downloadable(consultation_id: int) -> Consultation:
    consultation = _load(consultation_id)
    if not policy.ballots_downloadable(consultation):
        abort(404)  # nothing is published before the close
    return consultation


def _attachment(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def ballots_csv_text(consultation: Consultation, ballots: list) -> str:
    """The ballots in the CSV ``python -m civicsante.voting`` reads: a header of candidate ids,
    one row per ballot (single: 1 in the chosen column; approval: 1 / 0; Borda and Schulze: the
    rank, empty when unranked; points: the points; majority judgment: the grade)."""
    cands = [p.candidate_id for p in consultation.priorities]
    method = consultation.method
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cands)
    for ballot in ballots:
        if method == "single":
            cells = {ballot: 1}
        elif method == "approval":
            approved = set(ballot)
            cells = {c: int(c in approved) for c in cands}
        elif method in RANKED_METHODS:
            cells = {c: rank for rank, c in enumerate(ballot, start=1)}
        else:
            cells = ballot
        writer.writerow(["" if cells.get(c) is None else cells[c] for c in cands])
    return out.getvalue()


@bp.get("/consultations/<int:consultation_id>/bulletins.csv")
def ballots_csv(consultation_id: int):
    consultation = _downloadable(consultation_id)
    body = ballots_csv_text(consultation, tally.anonymised_ballots(consultation))
    return _attachment(body, "text/csv", _filename(consultation, "csv"))


@bp.get("/consultations/<int:consultation_id>/bulletins.json")
def ballots_json(consultation_id: int):
    consultation = _with_fresh_cache(_downloadable(consultation_id).id)
    data = tally.export(consultation)
    return _attachment(json.dumps(data, ensure_ascii=False, indent=1), "application/json",
                       _filename(consultation, "json"))
