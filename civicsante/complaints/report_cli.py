"""``flask --app civicsante report --establishment FINESS --year YYYY [--format html|pdf|csv]
[--output FILE]``: the CDU's annual report (R1112-80 II) written out without the web, for the
office to send to the regional health agency. It holds no personal data."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from civicsante.db import read_only
from civicsante.extensions import db


@click.command("report")
@with_appcontext
@click.option("--establishment", "finess", required=True, help="The establishment's FINESS number.")
@click.option("--year", type=click.IntRange(2000, 2999), required=True, help="The year reported on.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "csv"]), default="html", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write (default: the standard output).")
def report(finess: str, year: int, fmt: str, output: Path | None) -> None:
    """Write the annual report of an establishment's CDU."""
    from civicsante.complaints.report import annual_report
    from civicsante.complaints.report_output import csv_text, document_html, pdf_bytes
    from civicsante.reference.models import Establishment

    with read_only(), current_app.test_request_context():
        establishment = db.session.execute(
            select(Establishment).where(Establishment.finess == finess.strip())).scalar_one_or_none()
        if establishment is None:
            raise click.ClickException(f"Aucun établissement n'a le FINESS {finess}.")
        data = annual_report(establishment, year)
        body = {"html": document_html, "csv": csv_text, "pdf": pdf_bytes}[fmt](data)
        db.session.rollback()
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    if output is None:
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(raw)
    click.echo(f"Rapport {year} écrit dans {output} ({data.total} réclamations).", err=True)
