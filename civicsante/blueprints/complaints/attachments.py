"""Serving a complaint's attachment (issue 6, items 1 and 5): only to the people who read the
file and to the complainant; each download audited (part "attachment"), each refusal logged.
Always a download (``Content-Disposition: attachment``) with the type checked at upload and
``nosniff``: the browser never renders an uploaded file as a page of this site."""
from __future__ import annotations

from flask import abort, send_file
from flask_login import login_required

from civicsante.blueprints.complaints import bp
from civicsante.blueprints.complaints.loading import complaint_or_403
from civicsante.complaints import attachments as attachment_store
from civicsante.complaints.models import Attachment
from civicsante.db import writes_on_read
from civicsante.extensions import db


@bp.get("/reclamations/<int:complaint_id>/pieces/<int:attachment_id>")
@login_required
@writes_on_read
def attachment(complaint_id: int, attachment_id: int):
    found = db.session.get(Attachment, attachment_id)
    if found is None or found.complaint_id != complaint_id:
        abort(404)
    complaint_or_403(complaint_id, allowed=attachment_store.can_view_attachments, part="attachment")
    try:
        handle = attachment_store.open_attachment(found)
    except FileNotFoundError:
        abort(404)
    response = send_file(handle, mimetype=found.content_type, as_attachment=True,
                         download_name=found.original_name, max_age=0, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
