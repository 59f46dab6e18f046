"""``flask --app civicsante remind [--date YYYY-MM-DD]``: the mandates' daily run (cron).

First the calendar's effect on statuses (a designated mandate becomes active on its start date, a
mandate past its end date ends), then the alerts (civicsante/mandates/alerts.py). Running it
twice the same day sends nothing twice.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from civicsante.db import write_intent


@click.command("remind")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to run for (YYYY-MM-DD); today in France by default.")
@with_appcontext
def remind(day) -> None:
    """Update mandate statuses and send the mandates' alerts due today."""
    from civicsante.complaints.reminders import send_deadline_reminders
    from civicsante.extensions import db
    from civicsante.mandates.alerts import send_alerts
    from civicsante.mandates.models import ALERT_MANDATE_ENDING, ALERT_SEAT_VACANT, ALERT_TRAINING_MISSING
    from civicsante.mandates.services import refresh_statuses
    from civicsante.mandates.vacancies import paris_today

    today = day.date() if day else paris_today()
    with write_intent():
        # Statuses first: a mandate past its end no longer holds its seat when the alerts look.
        changed = refresh_statuses(today)
        db.session.commit()
        counts = send_alerts(today)
        reminders = send_deadline_reminders(today)
    click.echo(f"Statuts de mandat mis à jour : {changed}.")
    total = sum(counts.values())
    click.echo(f"Alertes envoyées le {today.isoformat()} : {total} "
               f"({counts[ALERT_MANDATE_ENDING]} fin de mandat, {counts[ALERT_TRAINING_MISSING]} formation "
               f"de base manquante, {counts[ALERT_SEAT_VACANT]} siège sans titulaire ni suppléant).")
    click.echo(f"Rappels d'échéance de réclamations envoyés : {reminders}.")
