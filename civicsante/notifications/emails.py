"""The e-mail telling a person about the needs they follow (templates/notifications/email.txt)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import force_locale, ngettext

from civicsante.mail import send_mail
from civicsante.notifications.links import absolute_url


@dataclass(frozen=True)
class Entry:
    """One notification as the e-mail lists it."""

    message: str
    link: str
    created_at: datetime


def send_notifications_email(to: str, *, name: str, language: str, entries: list[Entry], digest: bool,
                             unsubscribe_url: str) -> None:
    """Send, in the person's language, their news with a link to each need, and the one-click
    unsubscribe link — in the text and in the List-Unsubscribe headers (RFC 2369, RFC 8058)."""
    with force_locale(language):
        if digest:
            subject = ngettext("CivicSanté: your weekly digest (%(num)s update)",
                               "CivicSanté: your weekly digest (%(num)s updates)", len(entries))
        else:
            subject = ngettext("CivicSanté: %(num)s update on what you follow",
                               "CivicSanté: %(num)s updates on what you follow", len(entries))
        text = render_template(
            "notifications/email.txt", name=name, entries=entries, digest=digest,
            centre_url=absolute_url("notifications.index"), profile_url=absolute_url("account.profile"),
            unsubscribe_url=unsubscribe_url,
        )
    send_mail(to, subject, text, headers={
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    })
