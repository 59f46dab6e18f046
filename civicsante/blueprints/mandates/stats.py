"""The public representativeness figures (issue 5, item 7) and their CSV download. Figures about
people come already suppressed (civicsante/mandates/stats.py): the page and the file show the same."""
from __future__ import annotations

import csv
import io

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civicsante.blueprints.account.forms import (
    AGE_BAND_LABELS,
    EMPLOYMENT_STATUS_LABELS,
    SEX_LABELS,
)
from civicsante.blueprints.consultations.results import number, percent
from civicsante.blueprints.mandates import bp
from civicsante.blueprints.rendering import render_page_or_partial
from civicsante.mandates import stats
from civicsante.mandates.vacancies import paris_today

BREAKDOWNS = (
    ("age_band", _l("Representatives by age band"), AGE_BAND_LABELS),
    ("sex", _l("Representatives by sex"), SEX_LABELS),
    ("employment", _l("Representatives by employment status"), EMPLOYMENT_STATUS_LABELS),
)
# Width of the filled/vacant bars' drawing, in SVG units.
BAR_WIDTH = 600


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (names come from admins' typing)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def group_label(labels: dict, key: str) -> str:
    return _("Not stated") if key == stats.NOT_STATED else str(labels.get(key, key))


def suppressed() -> str:
    return _("fewer than %(num)s", num=stats.MIN_GROUP_SIZE)


@bp.get("/representativite")
def representativeness():
    figures = stats.representativeness(paris_today())
    return render_page_or_partial("mandates/stats/index.html", "mandates/stats/_figures.html",
                                  figures=figures, breakdowns=BREAKDOWNS, group_label=group_label,
                                  suppressed=suppressed(), min_group=stats.MIN_GROUP_SIZE,
                                  bar_width=BAR_WIDTH, number=number, percent=percent)


@bp.get("/representativite.csv")
def representativeness_csv():
    """The page's figures, one row per group: seats filled and vacant, or people (the same
    suppression: "fewer than 10" in place of a small group's count)."""
    figures = stats.representativeness(paris_today())
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet software reads the file as UTF-8
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Table"), _("Group"), _("Filled seats"), _("Vacant seats"), _("People")])
    for title, rows in ((_("Seats per kind of body"), figures.by_type),
                        (_("Seats per territory"), figures.by_territory),
                        (_("Seats over time"), figures.evolution)):
        for row in rows:
            writer.writerow([title, _cell(row.label), row.filled, row.vacant, ""])
    shown = suppressed()
    writer.writerow([_("Representatives"), _("All"), "", "",
                     figures.representatives if figures.representatives is not None else shown])
    for attribute, title, labels in BREAKDOWNS:
        for row in getattr(figures, attribute):
            writer.writerow([str(title), group_label(labels, row.key), "", "",
                             row.count if row.count is not None else shown])
    filename = f"representativite-{figures.today.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
