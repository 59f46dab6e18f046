"""Results of a consultation (ranking, charts, participation, breakdowns; live while a "live"
vote runs) and the anonymised ballots anyone can download to recount them."""
from __future__ import annotations

import csv
import io
import json
import re

from flask import Response, abort
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l

from civicsante.blueprints.account.forms import AGE_BAND_LABELS
from civicsante.blueprints.rendering import render_page_or_partial
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


def _load(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def percent(value: float | None) -> str:
    """A share as a French (or English) percentage with one decimal: "12,3 %"."""
    if value is None:
        return ""
    pattern = get_locale().percent_formats[None].pattern
    return format_percent(value, re.sub(r"0(?![0#.])", "0.0", pattern, count=1))


def number(value) -> str:
    return format_decimal(value, "#,##0.##")


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


@bp.get("/consultations/<int:consultation_id>/resultats")
def results(consultation_id: int):
    consultation = _load(consultation_id)
    public = policy.results_public(consultation)
    data = None
    if public:
        consultation = _with_fresh_cache(consultation_id)
        data = tally.results_for(consultation)
    live = public and consultation.phase() == VOTE and consultation.results_visibility == LIVE
    return render_page_or_partial(
        "consultations/results.html", "consultations/_results_region.html",
        consultation=consultation, public=public, live=live, data=data, view=_view(consultation, data),
        downloadable=policy.ballots_downloadable(consultation), refresh=LIVE_REFRESH,
        method_label=METHOD_LABELS[consultation.method], min_group=tally.MIN_GROUP_SIZE,
        bar_headings=BAR_HEADINGS.get(consultation.method), percent=percent, number=number,
        recount_csv=recount_command(consultation, _filename(consultation, "csv")),
        recount_json=recount_command(consultation, _filename(consultation, "json"), json_output=True))


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
