"""Attachments are checked by their content, not their name: a ".pdf" that holds a PNG or HTML is
refused, as is a file too large or one too many; accepted files are stored outside the web root
under a random name with their SHA-256, and read back unchanged."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from civicsante.accounts.models import User
from civicsante.complaints import attachments, intake
from civicsante.complaints.models import Attachment, Complaint
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.reference.models import Establishment
from tests.support.complaints import make_complaint
from tests.support.factories import make_user

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
HTML = b"<!doctype html><script>alert(1)</script>"


@pytest.fixture
def app_config(tmp_path):
    return {"ATTACHMENTS_DIR": str(tmp_path / "pieces"), "ATTACHMENT_MAX_BYTES": 1024,
            "ATTACHMENTS_PER_COMPLAINT": 2}


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("compte-rendu.pdf", PDF, "application/pdf"), ("photo.PNG", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"), ("photo.jpeg", JPEG, "image/jpeg"),
    ("C:\\scans\\lettre.pdf", PDF, "application/pdf"),
])
def test_pdf_and_images_are_accepted_by_their_content(app, name, data, content_type):
    with app.app_context():
        upload = attachments.check_upload(name, data)
    assert upload.content_type == content_type
    assert "\\" not in upload.name and "/" not in upload.name


@pytest.mark.parametrize(("name", "data"), [
    ("lettre.pdf", PNG),          # a PNG that claims to be a PDF
    ("lettre.pdf", HTML),         # a web page that claims to be a PDF
    ("photo.png", JPEG),          # a JPEG named as a PNG
    ("page.html", HTML),
    ("lettre.docx", b"PK\x03\x04" + b"\x00" * 20),
    ("sans-extension", PDF),
    ("vide.pdf", b""),
])
def test_a_file_whose_content_is_not_what_its_name_claims_is_refused_naming_the_file(app, name, data):
    with app.app_context(), pytest.raises(DomainError) as raised:
        attachments.check_upload(name, data)
    assert raised.value.field == "attachments"
    assert name.rsplit("\\", 1)[-1] in str(raised.value.message)


def test_a_file_too_large_is_refused(app):
    with app.app_context():
        attachments.check_upload("juste.pdf", PDF + b"0" * (1024 - len(PDF)))
        with pytest.raises(DomainError) as raised:
            attachments.check_upload("gros.pdf", PDF + b"0" * 1024)
    assert "gros.pdf" in str(raised.value.message)


def test_too_many_files_are_refused_at_filing_and_nothing_is_created(app, world):
    resident = make_user(app)
    with app.app_context():
        user = db.session.get(User, resident.id)
        with pytest.raises(DomainError) as raised:
            intake.file_online(establishment=db.session.get(Establishment, world.hospital.id), complainant=user,
                               facts="Une réclamation avec trop de pièces jointes.",
                               occurred_on=intake.paris_today() - timedelta(days=1), relation="patient",
                               attachments=[("a.pdf", PDF), ("b.png", PNG), ("c.jpg", JPEG)], by=user)
        db.session.rollback()
        assert raised.value.field == "attachments"
        assert db.session.query(Complaint).count() == 0
        directory = Path(app.config["ATTACHMENTS_DIR"])
        assert not directory.exists() or not any(directory.iterdir())


def test_files_are_stored_outside_the_web_root_under_a_random_name_with_their_hash(app, world):
    resident = make_user(app)
    with app.app_context():
        user = db.session.get(User, resident.id)
        complaint = intake.file_online(establishment=db.session.get(Establishment, world.hospital.id),
                                       complainant=user, facts="Une réclamation avec deux pièces jointes.",
                                       occurred_on=intake.paris_today(), relation="patient",
                                       attachments=[("lettre.pdf", PDF), ("photo.png", PNG)], by=user)
        db.session.commit()
        stored = attachments.attachments_of(complaint)
        assert [(a.original_name, a.content_type, a.size) for a in stored] == [
            ("lettre.pdf", "application/pdf", len(PDF)), ("photo.png", "image/png", len(PNG))]
        assert stored[0].sha256 == hashlib.sha256(PDF).hexdigest()
        assert len({a.storage_name for a in stored}) == 2
        assert all("lettre" not in a.storage_name for a in stored)
        path = Path(app.config["ATTACHMENTS_DIR"]) / stored[0].storage_name
        assert path.is_file() and "static" not in path.parts
        with attachments.open_attachment(stored[0]) as handle:
            assert handle.read() == PDF
        # The per-complaint cap holds for files added later too.
        with pytest.raises(DomainError):
            attachments.store(complaint, attachments.check_upload("encore.pdf", PDF), by=user)


def test_the_default_store_is_the_instance_folder(app):
    with app.app_context():
        app.config.pop("ATTACHMENTS_DIR")
        assert attachments.storage_dir() == Path(app.instance_path) / "attachments"


def test_the_complainant_and_file_readers_may_open_attachments_no_one_else(app, world):
    resident, stranger = make_user(app), make_user(app)
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    complaint = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id)
    with app.app_context():
        c = db.session.get(Complaint, complaint.id)
        assert attachments.can_view_attachments(db.session.get(User, resident.id), c)
        assert attachments.can_view_attachments(db.session.get(User, officer.id), c)
        assert not attachments.can_view_attachments(db.session.get(User, stranger.id), c)
        assert db.session.query(Attachment).count() == 0
