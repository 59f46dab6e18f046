"""The annual report written out: CSV (one figure a line), a standalone print document (HTML)
and its PDF (WeasyPrint renders the same document). Used by the web routes and by
``flask report``; neither needs a request: labels come in the app's default language."""
from __future__ import annotations

import csv
import io
import re

from flask import render_template
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _

from civicsante.complaints.report import SECTION_LABELS, AnnualReport

# The columns of the CSV: what the line counts (its table), a stable code, its label, the value.
CSV_HEADER = ("section", "code", "label", "value")


def number(value) -> str:
    """A count or a median in days, French style ("3,5")."""
    return "" if value is None else format_decimal(value, "#,##0.#")


def percent(value: float | None) -> str:
    """A share with one decimal ("87,5 %"), or an empty string when nothing was measured."""
    if value is None:
        return ""
    pattern = get_locale().percent_formats[None].pattern
    return format_percent(value, re.sub(r"0(?![0#.])", "0.0", pattern, count=1))


def filename(report: AnnualReport, ext: str) -> str:
    return f"rapport-cdu-{report.finess}-{report.year}.{ext}"


def csv_text(report: AnnualReport) -> str:
    """The report as CSV: every count table, then each delay's measures (shares as decimals with
    a dot, for spreadsheets), then the CDU's sections."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(("total", "", _("Complaints received"), report.total))
    for section, rows in (("channel", report.by_channel), ("category", report.by_category),
                          ("service", report.by_service), ("status", report.by_status),
                          ("opinion", report.by_opinion), ("out_of_scope", report.out_of_scope),
                          ("mediation", report.mediations), ("recommendation", report.recommendations)):
        for row in rows:
            writer.writerow((section, row.code, row.label, row.count))
    for delay in report.delays:
        share = "" if delay.share_within is None else f"{delay.share_within:.4f}"
        median = "" if delay.median_days is None else f"{delay.median_days:g}"
        for code, label, value in (
                ("legal_days", _("Legal deadline (days)"), delay.legal_days),
                ("measured", _("Steps measured"), delay.measured),
                ("median_days", _("Median (days)"), median),
                ("within", _("Within the deadline"), delay.within),
                ("share_within", _("Share within the deadline"), share)):
            writer.writerow((f"delay_{delay.step}", code, f"{delay.label} — {label}", value))
    for key, text in report.sections.items():
        writer.writerow(("text", key, str(SECTION_LABELS[key]), text))
    return out.getvalue()


def context(report: AnnualReport) -> dict:
    return {"report": report, "number": number, "percent": percent, "section_labels": SECTION_LABELS}


def document_html(report: AnnualReport) -> str:
    """The standalone print document (its style inline: it is never served as a web page)."""
    return render_template("complaints/report/document.html", **context(report))


def pdf_bytes(report: AnnualReport) -> bytes:
    """The print document as PDF (WeasyPrint; needs Debian's pango, see the Makefile)."""
    from weasyprint import HTML  # imported here: loading pango is slow and only the PDF needs it

    return HTML(string=document_html(report)).write_pdf()
