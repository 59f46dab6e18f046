"""Route x role declarations of the complaints area, public part: filing, the complainant's own
file, the office's registration, the consent, the attachments (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

One complaint on ``world.hospital`` (the walk's complaints officer and mediator are scoped to it)
filed by the walk's target user, with one PDF attachment: no walk role is its complainant, so the
complainant's pages answer 403 to all; the mediator is not referred and the user representative
holds no mandate, so only the office reads it. Empty POSTs reach the forms' validation (422).
"""
from __future__ import annotations

import tempfile

LOGIN = 302
SIGNED_IN_PAGE = {"anonymous": LOGIN, "*": 200}
SIGNED_IN_FORM = {"anonymous": LOGIN, "*": 422}
NOBODY_BUT_THE_COMPLAINANT = {"anonymous": LOGIN, "*": 403}
OFFICE_PAGE = {"anonymous": LOGIN, "complaints_officer": 200, "*": 403}
OFFICE_FORM = {"anonymous": LOGIN, "complaints_officer": 422, "*": 403}

EXPECTED: dict = {
    ("complaints.index", "GET"): 200,
    ("complaints.new", "GET"): SIGNED_IN_PAGE,
    ("complaints.new", "POST"): SIGNED_IN_FORM,
    ("complaints.acknowledgement", "GET"): NOBODY_BUT_THE_COMPLAINANT,
    ("complaints.my_complaint", "GET"): NOBODY_BUT_THE_COMPLAINANT,
    ("complaints.register", "GET"): OFFICE_PAGE,
    ("complaints.register", "POST"): OFFICE_FORM,
    ("complaints.registered", "GET"): OFFICE_PAGE,
    ("complaints.consent", "GET"): OFFICE_PAGE,
    ("complaints.consent", "POST"): OFFICE_FORM,
    ("complaints.attachment", "GET"): OFFICE_PAGE,
}

PDF = b"%PDF-1.4\n% walk\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    from civicsante.complaints import attachments
    from civicsante.complaints.models import Complaint
    from civicsante.extensions import db
    from tests.support.complaints import make_complaint

    app.config.setdefault("ATTACHMENTS_DIR", tempfile.mkdtemp(prefix="civicsante-walk-attachments-"))
    complaint = make_complaint(app, establishment_id=world.hospital.id, complainant_id=target_user.id)
    with app.app_context():
        stored = attachments.store(db.session.get(Complaint, complaint.id),
                                   attachments.check_upload("courrier.pdf", PDF), by=None)
        db.session.commit()
        attachment_id = stored.id
    return {"public_complaint_id": complaint.id, "public_attachment_id": attachment_id,
            "public_establishment_id": world.hospital.id}


_COMPLAINT = {"complaints.acknowledgement", "complaints.my_complaint", "complaints.registered",
              "complaints.consent"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in _COMPLAINT:
        return {"complaint_id": ctx.extra["public_complaint_id"]}
    if endpoint == "complaints.register":
        return {"establishment_id": ctx.extra["public_establishment_id"]}
    if endpoint == "complaints.attachment":
        return {"complaint_id": ctx.extra["public_complaint_id"],
                "attachment_id": ctx.extra["public_attachment_id"]}
    return {}
