"""Filing a complaint online, the office's registration and consent, the complainant's timeline
and the attachments, through the web: errors next to their fields with what was typed kept, the
acknowledgement on screen and by e-mail, reads and refusals logged exactly once, no-store pages,
attachments served only to the people allowed."""
from __future__ import annotations

import io
from html.parser import HTMLParser
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civicsante.audit import AuditEntry
from civicsante.complaints import intake
from civicsante.complaints.models import Attachment, Complaint, MedicalPart
from civicsante.extensions import db
from tests.conftest import client_for
from tests.support.complaints import make_complaint, make_referral
from tests.support.factories import make_user
from tests.support.queries import count_queries

VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "base", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children, self.texts = tag, dict(attrs), parent, [], []

    def __getitem__(self, name):
        return self.attrs[name]

    def has_attr(self, name):
        return name in self.attrs

    @property
    def text(self):
        return "".join(self.texts) + "".join(c.text for c in self.children)

    def walk(self):
        for child in self.children:
            yield child
            yield from child.walk()

    def find_all(self, pred):
        return [n for n in self.walk() if pred(n)]

    def by_id(self, ident):
        found = self.find_all(lambda n: n.attrs.get("id") == ident)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.texts.append(data)


def parse(response) -> Node:
    builder = _TreeBuilder()
    builder.feed(response.get_data(as_text=True))
    return builder.root


FACTS = "Ma mère a attendu sept heures sur un brancard sans qu'on lui propose à boire."
MEDICAL = "Déshydratation sévère, perfusion posée à 23 h."
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def app_config(tmp_path):
    return {"ATTACHMENTS_DIR": str(tmp_path / "pieces"), "ATTACHMENT_MAX_BYTES": 64 * 1024}


def _form(world, **overrides):
    data = {"establishment_id": str(world.hospital.id), "relation": "proche", "facts": FACTS,
            "occurred_on": (intake.paris_today() - timedelta(days=2)).isoformat(),
            "service_concerned": "Urgences", "expectations": "Une explication.", "medical_details": MEDICAL}
    data.update(overrides)
    return data


def _audit(app, action, complaint_id, part):
    with app.app_context():
        rows = db.session.execute(select(AuditEntry.detail).where(
            AuditEntry.action == action, AuditEntry.object_id == str(complaint_id))).scalars().all()
        return [r for r in rows if f'"part":"{part}"' in r]


def _only_complaint(app) -> Complaint:
    with app.app_context():
        return db.session.execute(select(Complaint)).scalar_one()


def test_the_filing_form_needs_an_account(client, world):
    response = client.get("/reclamations/nouvelle")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    page = client.get("/reclamations")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert parse(page).by_id("file-complaint")["href"] == "/reclamations/nouvelle"


def test_errors_show_next_to_their_fields_and_nothing_typed_is_lost(app, client, world, login_as):
    login_as("resident")
    form = client.get("/reclamations/nouvelle")
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    doc = parse(form)
    assert doc.by_id("complaint-form")["enctype"] == "multipart/form-data"
    assert doc.by_id("medical-part").by_id("medical_details") is not None  # its own labelled part

    future = (intake.paris_today() + timedelta(days=2)).isoformat()
    response = client.post("/reclamations/nouvelle", data=_form(world, facts="Trop court", occurred_on=future))
    assert response.status_code == 422
    doc = parse(response)
    assert doc.by_id("facts-error") is not None
    assert doc.by_id("facts")["aria-invalid"] == "true"
    assert doc.by_id("facts").text.strip() == "Trop court"
    assert doc.by_id("service_concerned")["value"] == "Urgences"
    assert doc.by_id("medical_details").text.strip() == MEDICAL
    assert [o for o in doc.by_id("establishment_id").find_all(lambda n: n.has_attr("selected"))][0]["value"] == str(world.hospital.id)
    # The date is checked by the service once the text passes: its error is next to the date.
    response = client.post("/reclamations/nouvelle", data=_form(world, occurred_on=future))
    assert response.status_code == 422
    assert parse(response).by_id("occurred_on-error") is not None
    assert parse(response).by_id("occurred_on")["value"] == future
    response = client.post("/reclamations/nouvelle", data=_form(world, discharge_expected_on=future))
    assert parse(response).by_id("discharge_expected_on-error") is not None
    with app.app_context():
        assert db.session.execute(select(func.count(Complaint.id))).scalar_one() == 0


def test_a_resident_files_sees_the_acknowledgement_and_gets_it_by_email(app, client, world, login_as, mailbox):
    resident = login_as("resident")
    response = client.post("/reclamations/nouvelle", data=_form(world, patient_hospitalised="y",
                                                                discharge_expected_on=intake.paris_today().isoformat()))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    complaint = _only_complaint(app)
    assert response.headers["Location"] == f"/reclamations/mes-reclamations/{complaint.id}/accuse-reception"
    assert complaint.complainant_id == resident.id and MEDICAL not in complaint.facts
    with app.app_context():
        assert db.session.get(MedicalPart, complaint.id).details == MEDICAL

    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    doc = parse(page)
    assert doc.by_id("complaint-reference").text == complaint.reference
    assert doc.by_id("next-step")["data-due-on"] == complaint.due_on.isoformat()
    assert len(_audit(app, "complaint.read", complaint.id, "acknowledgement")) == 1

    mail = mailbox.wait_for(resident.email)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert complaint.reference in str(mail["Subject"]) + body
    # No health detail leaves by e-mail.
    for secret in ("brancard", "Déshydratation", "Urgences"):
        assert secret not in body


def test_attachments_are_joined_when_filing_and_a_false_pdf_is_refused(app, client, world, login_as):
    login_as("resident")
    bad = _form(world, attachments=[(io.BytesIO(b"<html><script>x</script>"), "ordonnance.pdf")])
    response = client.post("/reclamations/nouvelle", data=bad, content_type="multipart/form-data")
    assert response.status_code == 422
    error = parse(response).by_id("attachments-error")
    assert error is not None and "ordonnance.pdf" in error.text
    assert parse(response).by_id("facts").text.strip() == FACTS

    good = _form(world, attachments=[(io.BytesIO(PDF), "lettre.pdf"), (io.BytesIO(PNG), "photo.png")])
    response = client.post("/reclamations/nouvelle", data=good, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        names = db.session.execute(select(Attachment.original_name).order_by(Attachment.id)).scalars().all()
    assert names == ["lettre.pdf", "photo.png"]


def test_the_timeline_is_the_complainants_alone_and_every_read_or_refusal_is_logged_once(app, client, world,
                                                                                       login_as):
    resident = login_as("resident")
    assert client.post("/reclamations/nouvelle", data=_form(world)).status_code == 303
    complaint = _only_complaint(app)
    url = f"/reclamations/mes-reclamations/{complaint.id}"

    for view in (1, 2):
        page = client.get(url)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        assert len(_audit(app, "complaint.read", complaint.id, "timeline")) == view
    doc = parse(page)
    steps = doc.by_id("complaint-timeline").find_all(lambda n: n.tag == "li")
    assert len(steps) == 1 and complaint.reference in steps[0].text
    assert doc.by_id("next-step")["data-due-on"] == complaint.due_on.isoformat()
    assert doc.by_id("complaint-status")["data-status"] == "acknowledged"
    listing = parse(client.get("/reclamations"))
    assert listing.find_all(lambda n: n.attrs.get("data-complaint-id") == str(complaint.id))[0].find_all(
        lambda n: n.tag == "a")[0]["href"] == url

    other = client_for(app, make_user(app))
    assert other.get(url).status_code == 403
    assert len(_audit(app, "complaint.read_refused", complaint.id, "timeline")) == 1
    officer = client_for(app, make_user(app, role="complaints_officer", establishment_id=world.hospital.id))
    assert officer.get(url).status_code == 403  # the office reads the file, not the complainant's own page
    assert len(_audit(app, "complaint.read", complaint.id, "timeline")) == 2
    assert resident.id == complaint.complainant_id


def test_the_list_of_my_complaints_takes_the_same_queries_however_many(app, client, world, login_as):
    resident = login_as("resident")
    make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id)
    client.get("/reclamations")
    with count_queries(app) as few:
        client.get("/reclamations")
    for _ in range(4):
        make_complaint(app, establishment_id=world.other_hospital.id, complainant_id=resident.id)
    with count_queries(app) as more:
        page = client.get("/reclamations")
    assert len(parse(page).find_all(lambda n: n.has_attr("data-complaint-id"))) == 5
    assert len(more) == len(few)


def test_the_attachment_url_is_served_to_the_office_and_the_complainant_only(app, world):
    resident = make_user(app)
    with app.app_context():
        from civicsante.accounts.models import User
        from civicsante.reference.models import Establishment

        user = db.session.get(User, resident.id)
        complaint = intake.file_online(establishment=db.session.get(Establishment, world.hospital.id),
                                       complainant=user, facts=FACTS, occurred_on=intake.paris_today(),
                                       relation="patient", attachments=[("lettre.pdf", PDF)], by=user)
        db.session.commit()
        complaint_id = complaint.id
        attachment_id = db.session.execute(select(Attachment.id)).scalar_one()
    other = make_complaint(app, establishment_id=world.hospital.id)
    url = f"/reclamations/{complaint_id}/pieces/{attachment_id}"

    not_referred = make_user(app, role="mediator", establishment_id=world.hospital.id)
    elsewhere = make_user(app, role="complaints_officer", establishment_id=world.other_hospital.id)
    for person in (make_user(app), not_referred, elsewhere, make_user(app, role="admin")):
        assert client_for(app, person).get(url).status_code == 403
    assert len(_audit(app, "complaint.read_refused", complaint_id, "attachment")) == 4
    assert app.test_client().get(url).status_code == 302

    officer = client_for(app, make_user(app, role="complaints_officer", establishment_id=world.hospital.id))
    served = officer.get(url)
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "no-store"
    assert len(_audit(app, "complaint.read", complaint_id, "attachment")) == 1
    assert client_for(app, resident).get(url).status_code == 200
    make_referral(app, complaint_id=complaint_id, mediator_id=not_referred.id)
    assert client_for(app, not_referred).get(url).status_code == 200
    # An attachment asked for through another complaint's address does not exist there.
    assert officer.get(f"/reclamations/{other.id}/pieces/{attachment_id}").status_code == 404
    assert officer.get(f"/reclamations/{complaint_id}/pieces/{attachment_id + 99}").status_code == 404


def test_the_office_registers_a_complaint_made_in_person_and_confirms_the_copy(app, world, mailbox):
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    client = client_for(app, officer)
    url = f"/reclamations/etablissements/{world.hospital.id}/enregistrer"
    assert client.get(url).status_code == 200
    data = {"channel": "en_personne", "complainant_name": "M. Martin", "complainant_contact": "3 rue des Lilas",
            "relation": "patient", "facts": FACTS, "occurred_on": intake.paris_today().isoformat(),
            "written_down_for_person": "y"}
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    assert parse(refused).by_id("copy_handed_over-error") is not None
    assert parse(refused).by_id("complainant_name")["value"] == "M. Martin"
    assert parse(refused).by_id("written_down_for_person").has_attr("checked")

    done = client.post(url, data={**data, "copy_handed_over": "y"})
    assert done.status_code == 303
    complaint = _only_complaint(app)
    assert done.headers["Location"] == f"/reclamations/{complaint.id}/enregistree"
    assert complaint.copy_handed_over_at is not None and complaint.channel == "en_personne"
    page = client.get(done.headers["Location"])
    assert page.status_code == 200
    assert parse(page).by_id("complaint-reference").text == complaint.reference
    assert parse(page).by_id("copy-handed-over") is not None
    assert len(_audit(app, "complaint.read", complaint.id, "acknowledgement")) == 1
    assert not mailbox.messages  # no account: the office hands the acknowledgement over

    other_office = client_for(app, make_user(app, role="complaints_officer", establishment_id=world.other_hospital.id))
    assert other_office.get(url).status_code == 403
    assert other_office.get(done.headers["Location"]).status_code == 403


def test_the_office_records_the_patients_consent(app, world):
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    complaint = make_complaint(app, establishment_id=world.hospital.id)
    client = client_for(app, officer)
    url = f"/reclamations/{complaint.id}/consentement"
    assert client.get(url).status_code == 200
    refused = client.post(url, data={"signed_by": "La patiente", "scope": "Tout",
                                     "signed_on": (intake.paris_today() + timedelta(days=1)).isoformat()})
    assert refused.status_code == 422 and parse(refused).by_id("signed_on-error") is not None
    done = client.post(url, data={"signed_by": "La patiente", "scope": "Toute la partie médicale",
                                  "signed_on": intake.paris_today().isoformat()})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(MedicalPart, complaint.id).has_consent
    assert parse(client.get(url)).by_id("consent-recorded") is not None
    resident = client_for(app, make_user(app))
    assert resident.post(url, data={"signed_by": "X", "scope": "Y",
                                    "signed_on": intake.paris_today().isoformat()}).status_code == 403
    assert len(_audit(app, "complaint.read_refused", complaint.id, "consent")) == 1


def test_filing_posts_are_rate_limited(_migrated, mailbox_server):
    from tests.conftest import app_on_empty_database
    from tests.support.factories import make_world

    with app_on_empty_database(_migrated, mailbox_server.port, RATELIMIT_ENABLED=True,
                               RATELIMIT_COMPLAINT_FILING="2 per minute") as limited:
        world = make_world(limited)
        client = client_for(limited, make_user(limited))
        statuses = [client.post("/reclamations/nouvelle", data={"facts": "court"}).status_code for _ in range(3)]
        assert statuses == [422, 422, 429]
        assert client.get("/reclamations/nouvelle").status_code == 200
        assert world.hospital.id


def test_the_timeline_shows_public_notes_in_order_and_never_internal_ones(app, client, world, login_as):
    login_as("resident")
    assert client.post("/reclamations/nouvelle", data=_form(world)).status_code == 303
    complaint = _only_complaint(app)
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    with app.app_context():
        from civicsante.accounts.models import User
        from civicsante.complaints import lifecycle

        lifecycle.mark_out_of_scope(db.session.get(Complaint, complaint.id), kind="recours_gracieux",
                                    note="Note interne : demande d'indemnisation de 3000 euros.",
                                    by=db.session.get(User, officer.id))
        db.session.commit()
    page = client.get(f"/reclamations/mes-reclamations/{complaint.id}")
    doc = parse(page)
    steps = doc.by_id("complaint-timeline").find_all(lambda n: n.tag == "li")
    assert len(steps) == 2 and complaint.reference in steps[0].text
    assert "CCI" in steps[1].text  # the routes of appeal are given
    assert "Note interne" not in page.get_data(as_text=True)
    assert doc.by_id("next-step") is None  # nothing more to wait for
    assert doc.by_id("complaint-status")["data-status"] == "out_of_scope"


def test_the_timeline_takes_the_same_queries_however_many_steps(app, client, world, login_as):
    from civicsante.complaints.models import ComplaintEvent

    resident = login_as("resident")
    complaint = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id)
    url = f"/reclamations/mes-reclamations/{complaint.id}"

    def add_steps(count):
        with app.app_context():
            db.session.add_all(ComplaintEvent(complaint_id=complaint.id, action="factory",
                                              public_note=f"Étape publique {i}.") for i in range(count))
            db.session.commit()

    add_steps(1)
    client.get(url)
    with count_queries(app) as few:
        client.get(url)
    add_steps(6)
    with count_queries(app) as more:
        page = client.get(url)
    assert len(parse(page).by_id("complaint-timeline").find_all(lambda n: n.tag == "li")) == 7
    assert len(more) == len(few)


def test_the_complaints_page_leads_the_office_to_its_registration_form(app, world):
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    doc = parse(client_for(app, officer).get("/reclamations"))
    links = [a["href"] for a in doc.by_id("office-register").find_all(lambda n: n.tag == "a")]
    assert links == [f"/reclamations/etablissements/{world.hospital.id}/enregistrer"]
    assert parse(client_for(app, make_user(app)).get("/reclamations")).by_id("office-register") is None


def test_a_file_too_large_or_one_too_many_is_refused_next_to_the_field(app, client, world, login_as):
    login_as("resident")
    big = _form(world, attachments=[(io.BytesIO(PDF + b"0" * 64 * 1024), "scanner.pdf")])
    response = client.post("/reclamations/nouvelle", data=big, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "scanner.pdf" in parse(response).by_id("attachments-error").text
    six = _form(world, attachments=[(io.BytesIO(PDF), f"page{i}.pdf") for i in range(6)])
    response = client.post("/reclamations/nouvelle", data=six, content_type="multipart/form-data")
    assert response.status_code == 422 and parse(response).by_id("attachments-error") is not None
    # A body beyond every file at its maximum is refused before it is read.
    huge = _form(world, attachments=[(io.BytesIO(b"0" * (64 * 1024 * 5 + 1024 * 1024 + 1)), "enorme.pdf")])
    assert client.post("/reclamations/nouvelle", data=huge, content_type="multipart/form-data").status_code == 413
    with app.app_context():
        assert db.session.execute(select(func.count(Complaint.id))).scalar_one() == 0
