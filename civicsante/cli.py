"""Command-line tools: ``flask --app civicsante <command>``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from civicsante.backup import DEFAULT_KEEP
from civicsante.db import read_only, write_intent
from civicsante.extensions import db


def init_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)
    app.cli.add_command(audit_verify)
    from civicsante.reference.cli import import_establishments, import_territories
    app.cli.add_command(import_territories)
    app.cli.add_command(import_establishments)
    from civicsante.notifications.cli import notify
    app.cli.add_command(notify)
    from civicsante.mandates.cli import remind
    app.cli.add_command(remind)
    from civicsante.complaints.report_cli import report  # issue 6: the CDU's annual report
    app.cli.add_command(report)
    app.cli.add_command(backup_command)  # issue 7: verified backups and their restore
    app.cli.add_command(restore_command)
    app.cli.add_command(db_analyze)


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt="Adresse e-mail")
@click.option("--pseudonym", prompt="Pseudonyme")
@click.password_option("--password", prompt="Mot de passe", confirmation_prompt="Confirmez le mot de passe")
def create_admin(email: str, pseudonym: str, password: str) -> None:
    """Create an administrator account (or give the role to an existing account)."""
    from civicsante.accounts import services
    from civicsante.accounts.models import ADMIN, RoleAssignment, User
    from civicsante.errors import DomainError

    with write_intent():
        try:
            normalised = services.normalise_email(email)
            user = db.session.execute(select(User).where(User.email == normalised)).scalar_one_or_none()
            if user is None:
                user = services.sign_up(email, pseudonym, password)
            if user.has_role(ADMIN):
                click.echo(f"{user.email} est déjà administrateur·rice.")
                return
            db.session.add(RoleAssignment(user=user, role=ADMIN))
            from civicsante import audit
            db.session.flush()
            audit.record(None, "role.grant", user, role=ADMIN, via="create-admin")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(str(error.message)) from error
    click.echo(f"Compte administrateur prêt : {user.email}")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only load when the database has no account yet.")
def demo(if_empty: bool) -> None:
    """Load the fictional demo territory, establishments, association and one account per role."""
    from civicsante.accounts.models import User
    from civicsante.demo import DEMO_PASSWORD, load_demo

    with write_intent():
        if if_empty and db.session.execute(select(User.id).limit(1)).first():
            click.echo("La base contient déjà des comptes : données de démonstration non chargées.")
            return
        accounts = load_demo()
        db.session.commit()
    click.echo("Données de démonstration prêtes. Comptes (mot de passe pour tous : "
               f"{DEMO_PASSWORD}) :")
    for role, email in accounts:
        click.echo(f"  {role:<28} {email}")


@click.command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 when a row was edited or deleted."""
    from civicsante.audit import verify_chain

    with read_only():
        result = verify_chain()
        db.session.rollback()
    if result.ok:
        click.echo(f"Journal d'audit intègre : {result.rows} entrées vérifiées.")
        return
    for problem in result.problems:
        click.echo(problem, err=True)
    click.echo(f"Journal d'audit ALTÉRÉ : {len(result.problems)} problème(s) sur {result.rows} entrées.",
               err=True)
    sys.exit(1)


def _database():
    from civicsante.backup import Database

    return Database.from_url(db.engine.url, busy_timeout_ms=current_app.config["SQLITE_BUSY_TIMEOUT_MS"])


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), default=DEFAULT_KEEP, show_default=True,
              help="Generations kept in DEST (the oldest are deleted once the new copy is verified).")
def backup_command(dest: Path, keep: int) -> None:
    """Copy the database into DEST while the app runs (SQLite online backup, or pg_dump), verify
    the copy against the same snapshot, keep the KEEP newest generations. Exit 1 on failure."""
    from civicsante import backup

    try:
        result = backup.backup(_database(), dest, keep)
    except backup.BackupError as error:
        click.echo(f"Sauvegarde ÉCHOUÉE : {error}", err=True)
        sys.exit(1)
    click.echo(backup.describe_backup(result))


@click.command("restore")
@with_appcontext
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the data without asking.")
@click.option("--check", is_flag=True, help="Only verify SRC and its manifest; change nothing.")
def restore_command(src: Path, yes: bool, check: bool) -> None:
    """Replace the database's content by the copy SRC, once SRC is verified. Stop the app first."""
    from civicsante import backup

    try:
        database = _database()
        copy, manifest = backup.verify(src)
        note = backup.revision_note(manifest, Path(current_app.extensions["migrate"].directory))
    except backup.BackupError as error:
        click.echo(f"Restauration refusée : {error}", err=True)
        sys.exit(1)
    click.echo(backup.describe_copy(copy, manifest))
    if check:
        return
    if not yes and not click.confirm(
            f"Les données actuelles de la base ({database.describe()}) seront remplacées par celles de "
            "cette copie, et ce qui a été écrit depuis sera perdu. L'application doit être arrêtée. "
            "Restaurer ?", default=False):
        click.echo("Restauration annulée : la base n'a pas été modifiée.")
        sys.exit(1)
    db.session.remove()
    db.engine.dispose()  # no connection of ours stays open on the data being replaced
    try:
        rows = backup.restore(database, copy, manifest)
    except backup.BackupError as error:
        click.echo(f"Restauration ÉCHOUÉE : {error}", err=True)
        sys.exit(1)
    click.echo(f"Base restaurée depuis {copy.name}, identique à la copie — lignes par table :")
    click.echo(backup.describe_rows(rows))
    if note:
        click.echo(note)


@click.command("db-analyze")
@with_appcontext
def db_analyze() -> None:
    """Refresh the query planner's statistics (ANALYZE). Run it after a large import, or weekly
    from cron: without them SQLite may read a list through the wrong index (migration 0008)."""
    from civicsante.db import analyze

    with write_intent():
        analyze(db.session.connection())
        db.session.commit()
    click.echo("Statistiques de la base mises à jour.")
