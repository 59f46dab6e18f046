"""Loading a complaint for a route: 404 when it does not exist, 403 (logged) when the policy
refuses, and the successful read logged once. Views using it must be marked ``writes_on_read``
(the audit row is written during a GET)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from civicsante.complaints import access
from civicsante.complaints import policy
from civicsante.complaints.models import Complaint
from civicsante.extensions import db


def complaint_or_403(complaint_id: int, *, allowed=policy.can_view_complaint, part: str = "file") -> Complaint:
    """The complaint, once ``allowed(current_user, complaint)`` says yes; the read is audited."""
    complaint = db.get_or_404(Complaint, complaint_id)
    if not allowed(current_user, complaint):
        access.record_refusal(current_user, complaint, part)
        db.session.commit()
        abort(403)
    access.record_read(current_user, complaint, part)
    db.session.commit()
    return complaint
