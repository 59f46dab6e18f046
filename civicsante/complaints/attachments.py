"""Attachments of a complaint: PDF and images only, checked by their CONTENT (the first bytes),
not by what the browser or the file name claims — a file named "scan.pdf" that holds HTML or a
PNG is refused. They are stored outside the web root, under a random name, in the instance
folder (``ATTACHMENTS_DIR`` overrides it), and served only by the route that checks the policy.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civicsante.complaints.models import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_PER_COMPLAINT,
    Attachment,
    Complaint,
)
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.reference.services import column_length

FIELD = "attachments"
# The signature each accepted type starts with, and the file-name extensions that go with it.
SIGNATURES = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
)
NAME_MAX = column_length(Attachment.original_name)


@dataclass(frozen=True)
class Upload:
    """A file that passed the checks, ready to be stored."""

    name: str
    content_type: str
    data: bytes


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES))


def max_count() -> int:
    return int(current_app.config.get("ATTACHMENTS_PER_COMPLAINT", ATTACHMENTS_PER_COMPLAINT))


def limits() -> dict:
    """What the upload forms say of the limits: ``max_files`` and ``max_mb``."""
    return {"max_files": max_count(), "max_mb": round(max_bytes() / (1024 * 1024), 1)}


def storage_dir() -> Path:
    return Path(current_app.config.get("ATTACHMENTS_DIR") or os.path.join(current_app.instance_path, "attachments"))


def _clean_name(name: str) -> str:
    # Only the last path component: a browser may send "C:\\scans\\lettre.pdf".
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[-NAME_MAX:] if len(base) > NAME_MAX else base


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (among the accepted ones), or None."""
    for signature, content_type, _extensions in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def check_upload(name: str, data: bytes) -> Upload:
    """One file: not empty, at most ``ATTACHMENT_MAX_BYTES``, a PDF, JPEG or PNG by content, and
    its name's extension agreeing with that content. The message names the file."""
    name = _clean_name(name)
    if not name:
        raise DomainError(_l("A file has no name."), FIELD)
    if not data:
        raise DomainError(_l("The file “%(name)s” is empty.", name=name), FIELD)
    if len(data) > max_bytes():
        raise DomainError(_l("The file “%(name)s” is too large: %(max)s MB at most.", name=name,
                             max=round(max_bytes() / (1024 * 1024), 1)), FIELD)
    content_type = sniff(data)
    extension = os.path.splitext(name)[1].lower()
    expected = next((exts for _sig, kind, exts in SIGNATURES if kind == content_type), ())
    if content_type is None or extension not in expected:
        raise DomainError(_l("The file “%(name)s” is not accepted: only PDF documents and JPEG or PNG "
                             "images, whose content matches their name.", name=name), FIELD)
    return Upload(name, content_type, data)


def check_uploads(files: Iterable, *, already: int = 0) -> list[Upload]:
    """Every file checked, and their number with those ``already`` joined at most
    ``ATTACHMENTS_PER_COMPLAINT``. ``files`` are (name, bytes) pairs."""
    checked = [check_upload(name, data) for name, data in files]
    if already + len(checked) > max_count():
        raise DomainError(_l("%(max)s files at most per complaint.", max=max_count()), FIELD)
    return checked


def read_request_files(storages) -> list[tuple[str, bytes]]:
    """(name, bytes) of the files of a form's file field, the empty inputs skipped. Reads one byte
    past the limit so an oversized file is told apart without holding more of it."""
    files = []
    for storage in storages or ():
        if storage is None or not getattr(storage, "filename", ""):
            continue
        files.append((storage.filename, storage.stream.read(max_bytes() + 1)))
    return files


def store(complaint: Complaint, upload: Upload, *, by) -> Attachment:
    """Writes the checked file under a random name and records it with its SHA-256."""
    count = db.session.execute(select(func.count(Attachment.id))
                               .where(Attachment.complaint_id == complaint.id)).scalar_one()
    if count >= max_count():
        raise DomainError(_l("%(max)s files at most per complaint.", max=max_count()), FIELD)
    directory = storage_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    storage_name = secrets.token_hex(24)
    path = directory / storage_name
    # "x": never overwrite; 0o600: the file is the app's alone.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(upload.data)
    attachment = Attachment(complaint_id=complaint.id, original_name=upload.name,
                            content_type=upload.content_type, size=len(upload.data),
                            sha256=hashlib.sha256(upload.data).hexdigest(), storage_name=storage_name,
                            uploaded_by_id=getattr(by, "id", None))
    db.session.add(attachment)
    db.session.flush()
    return attachment


def attachments_of(complaint: Complaint) -> list[Attachment]:
    return list(db.session.execute(select(Attachment).where(Attachment.complaint_id == complaint.id)
                                   .order_by(Attachment.id)).scalars())


def open_attachment(attachment: Attachment):
    """The stored file, opened for reading in binary (the caller closes it)."""
    return open(storage_dir() / attachment.storage_name, "rb")


def can_view_attachments(user, complaint: Complaint) -> bool:
    """An attachment is part of the file: the people ``policy.can_view_complaint`` names, and the
    complainant (their own file). (Kept here rather than in policy.py, which the lead owns.)"""
    from civicsante.complaints import policy

    return policy.can_view_complaint(user, complaint) or policy.can_view_own_complaint(user, complaint)
