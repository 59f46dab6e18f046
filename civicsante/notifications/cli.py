"""``flask --app civicsante notify [--digest]``: e-mail the notifications not yet e-mailed.

Run it from cron every few minutes (immediate e-mails whose sending right after the action
failed), and once a week with ``--digest``. Running it twice sends nothing twice.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from civicsante.db import write_intent
from civicsante.types import utcnow


@click.command("notify")
@click.option("--digest", is_flag=True, help="Also send the weekly digest (run it once a week).")
@with_appcontext
def notify(digest: bool) -> None:
    """Send pending immediate notification e-mails, and with --digest the weekly digest."""
    from civicsante.notifications import services

    with write_intent():
        immediate = services.send_pending_immediate()
        weekly = services.send_weekly_digest(utcnow()) if digest else 0
    click.echo(f"E-mails de notification envoyés : {immediate} immédiat(s)"
               + (f", {weekly} récapitulatif(s) hebdomadaire(s)." if digest else "."))
