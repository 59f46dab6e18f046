"""Command-line import of reference data: ``flask --app civicsante import-territories FILE``
and ``import-establishments FILE`` (see ``reference.csv_import`` for the file format)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from civicsante.db import write_intent
from civicsante.extensions import db
from civicsante.reference import csv_import

_FILE = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))


@click.command("import-territories")
@_FILE
@with_appcontext
def import_territories(file: Path) -> None:
    """Create or update territories from a CSV file: code,name,kind,parent_code."""
    _run(csv_import.import_territories, file, "Territoires")


@click.command("import-establishments")
@_FILE
@with_appcontext
def import_establishments(file: Path) -> None:
    """Create or update establishments from a CSV file: finess,name,kind,territory_code."""
    _run(csv_import.import_establishments, file, "Établissements")


def _run(importer, file: Path, what: str) -> None:
    # The messages are translatable; on the command line they are shown in French.
    with write_intent(), force_locale("fr"):
        report = importer(file.read_bytes())
        if report.errors:
            db.session.rollback()
            for line, reasons in report.errors:
                click.echo(f"ligne {line} : {' ; '.join(str(reason) for reason in reasons)}", err=True)
            click.echo(f"Rien n'a été importé : {len(report.errors)} ligne(s) en erreur.", err=True)
            sys.exit(1)
        db.session.commit()
    click.echo(f"{what} : {report.created} créé(s), {report.updated} mis à jour, "
               f"{report.unchanged} inchangé(s).")
