"""Absolute links for e-mails.

E-mails leave right after an action, and from the command line (cron) outside any request: their
links are built on the PUBLIC_URL setting — or, when it is unset, on the address of the request.
"""
from __future__ import annotations

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
