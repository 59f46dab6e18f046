"""Outgoing e-mail: SMTP in production and tests, printed to the console in development."""
from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app


def send_mail(to: str, subject: str, text: str, html: str | None = None,
              headers: dict[str, str] | None = None) -> EmailMessage:
    """Send one e-mail; ``headers`` adds header fields (e.g. ``List-Unsubscribe``)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="civicsante")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")

    if config["MAIL_BACKEND"] == "console":
        print(f"--- e-mail (console) ---\n{message.as_string()}\n--- fin ---", file=sys.stdout, flush=True)
        return message

    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    return message
