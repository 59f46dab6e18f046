"""Absolute links for e-mails.

E-mails leave right after an action, and from the command line (cron) outside any request: their
links are built on the PUBLIC_URL setting — or, when it is unset, on the address of the request.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

# Last resort when PUBLIC_URL is unset and there is no request (a developer's machine).
DEFAULT_ROOT = "http://localhost:5000/"


def site_root() -> str:
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/") + "/"
    return request.host_url if has_request_context() else DEFAULT_ROOT


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, _external=True)`` that also works without a request."""
    root = urlsplit(site_root())
    adapter = current_app.url_map.bind(root.netloc, script_name=root.path or "/",
                                       url_scheme=root.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def link_for(notification) -> str:
    """Where a notification's e-mail entry leads: the need it is about, the priority whose
    follow-up moved (a "milestone" has no need), the complaint it is about, or else the
    notification centre."""
    if notification.need_id:
        return absolute_url("needs.detail", need_id=notification.need_id)
    if notification.kind == "complaint":  # the complainant's own file (or the staff's follow-up)
        from civicsante.complaints.notify import link as complaint_link

        return complaint_link(notification)
    from civicsante.mandates.alerts import MANDATE_NOTIFICATION_KINDS, alert_link

    if notification.kind in MANDATE_NOTIFICATION_KINDS:  # the desk, the board, the association's page
        return alert_link(notification)
    priority_id = priority_id_of(notification)
    if priority_id:
        return absolute_url("consultations.priority", priority_id=priority_id)
    return absolute_url("notifications.index")


def priority_id_of(notification) -> int | None:
    """The priority a "milestone" notification is about (from its JSON detail), if any."""
    if notification.kind != "milestone":
        return None
    try:
        value = json.loads(notification.detail or "{}").get("priority_id")
    except ValueError:
        return None
    return value if isinstance(value, int) else None
