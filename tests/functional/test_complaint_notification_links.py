"""The notification centre leads a complainant from a complaint step to their timeline."""
from __future__ import annotations

import json

from civicsante.extensions import db
from civicsante.needs.models import Notification
from tests.conftest import client_for
from tests.support.complaints import make_complaint
from tests.support.factories import make_user


def test_a_complaint_step_links_to_the_complainants_timeline(app, world):
    resident = make_user(app)
    complaint = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id)
    with app.app_context():
        db.session.add(Notification(user_id=resident.id, kind="complaint", detail=json.dumps(
            {"reference": complaint.reference, "complaint_id": complaint.id, "action": "acknowledge"})))
        db.session.commit()
    page = client_for(app, resident).get("/notifications").get_data(as_text=True)
    assert f'/reclamations/mes-reclamations/{complaint.id}"' in page
