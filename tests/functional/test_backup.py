"""``flask backup`` and ``flask restore`` on the suite's database (SQLite, or PostgreSQL with
TEST_DATABASE_URL): a copy taken while needs are being entered holds whole transactions of one
snapshot, and restoring it after more writes brings exactly that snapshot back; N generations are
kept; nothing changes when the operator answers no or when the copy is damaged."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import insert, select, text

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.db import write_intent
from civicsante.extensions import db
from civicsante.needs import services
from civicsante.needs.models import Need, NeedCategory, StatusChange
from civicsante.types import utcnow
from tests.support.factories import make_need, make_user

WRITTEN_DURING = "Saisi pendant la sauvegarde"


def _cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=[str(a) for a in args], input=input)


def _is_sqlite(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def _table(app, name: str) -> str:
    """A table's key in a manifest: plain on SQLite, schema-qualified on PostgreSQL."""
    return name if _is_sqlite(app) else f"public.{name}"


def _backup(app, dest: Path, *options) -> tuple[Path, dict]:
    result = _cli(app, "backup", dest, *options)
    assert result.exit_code == 0, result.output
    assert "Sauvegarde vérifiée" in result.output
    copy = Path(result.output.split("Sauvegarde vérifiée : ", 1)[1].splitlines()[0])
    return copy, json.loads(copy.with_suffix(".json").read_text(encoding="utf-8"))


def _titles(app) -> list[str]:
    with app.app_context():
        return db.session.execute(select(Need.title).order_by(Need.id)).scalars().all()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(db.func.count()).select_from(model)).scalar_one()


def _rows_now(app, tables) -> dict[str, int]:
    with app.app_context():
        return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


class NeedWriter(threading.Thread):
    """A facilitator entering needs for people met by phone, as fast as the database takes them:
    each transaction adds a need, its first status row and its audit row. ``written`` lists the
    titles of the committed ones, in order."""

    def __init__(self, app, facilitator_id: int, territory_id: int, category_id: int):
        super().__init__(daemon=True)
        self.app, self.facilitator_id = app, facilitator_id
        self.territory_id, self.category_id = territory_id, category_id
        self.written: list[str] = []
        self.error: BaseException | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            with self.app.app_context():
                while not self._halt.is_set():
                    title = f"{WRITTEN_DURING} {len(self.written) + 1}"
                    with write_intent():
                        services.submit_need_on_behalf(
                            db.session.get(User, self.facilitator_id), person=None,
                            assisted_name="Mme Exemple", assisted_contact=None, channel="telephone",
                            title=title, description="Besoin recueilli au téléphone pendant la sauvegarde.",
                            category_id=self.category_id, territory_id=self.territory_id,
                            public_concerned=None, consent=True)
                        db.session.commit()
                    self.written.append(title)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.written) < n and self.error is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self.error is None, self.error
        assert len(self.written) >= n, f"only {len(self.written)} needs written in {timeout} s"

    def finish(self) -> None:
        self._halt.set()
        self.join(10)
        assert self.error is None, self.error


def _bulk_needs(app, territory_id: int, category_id: int, n: int) -> None:
    """Enough data that the copy is more than a few pages."""
    with app.app_context():
        now = utcnow()
        db.session.execute(insert(Need), [
            {"title": f"Besoin existant {i}", "description": "Un besoin déjà là avant la sauvegarde. " * 8,
             "category_id": category_id, "territory_id": territory_id, "search_text": f"besoin existant {i}",
             "created_at": now, "updated_at": now, "consent_at": now} for i in range(n)])
        db.session.commit()


def test_backup_while_needs_are_entered_then_restore_brings_back_that_snapshot(
        app, world, tmp_path, heavy_test_slot):
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
    with app.app_context():
        category_id = db.session.execute(select(NeedCategory.id).limit(1)).scalar_one()
    _bulk_needs(app, world.commune.id, category_id, 3000)
    base = {m: _count(app, m) for m in (Need, StatusChange, AuditEntry)}

    writer = NeedWriter(app, facilitator.id, world.commune.id, category_id)
    writer.start()
    try:
        writer.wait_for(10)
        before = len(writer.written)
        copy, manifest = _backup(app, tmp_path / "sauvegardes")
        during = len(writer.written)
        writer.wait_for(during + 10)  # more writes after the backup, to be undone by the restore
    finally:
        writer.finish()
    assert before < during, "the writer must have been writing while the backup ran"

    rows = manifest["rows"]
    in_copy = rows[_table(app, "need")] - base[Need]
    # The snapshot lies between the start and the end of the command (+1: a commit whose title
    # was not yet appended), and holds whole transactions: each need with its two other rows.
    assert before <= in_copy <= during + 1
    assert rows[_table(app, "need_status_change")] - base[StatusChange] == in_copy
    assert rows[_table(app, "audit_log")] - base[AuditEntry] == in_copy
    assert {t.removeprefix("public.") for t in rows} >= set(db.metadata.tables)
    if _is_sqlite(app):  # read the copy ourselves, not through the command's own check
        with sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in rows} == rows
    assert len(writer.written) > in_copy + 5

    result = _cli(app, "restore", copy, "--yes")
    assert result.exit_code == 0, result.output
    assert "Base restaurée" in result.output
    assert _rows_now(app, rows) == rows
    assert [t for t in _titles(app) if t.startswith(WRITTEN_DURING)] == writer.written[:in_copy]
    audit = _cli(app, "audit-verify")
    assert audit.exit_code == 0, audit.output


def test_backup_keeps_the_newest_generations_and_nothing_else_is_deleted(app, world, tmp_path):
    make_need(app, territory_id=world.commune.id)
    dest = tmp_path / "sauvegardes" / "quotidiennes"  # created by the first backup
    first, _ = _backup(app, dest, "--keep", "2")
    (dest / "notes.txt").write_text("à garder", encoding="utf-8")
    second, _ = _backup(app, dest, "--keep", "2")
    result = _cli(app, "backup", dest, "--keep", "2")
    assert result.exit_code == 0, result.output
    assert f"supprimées : {first.name}" in result.output
    third = sorted(p for p in dest.iterdir() if p.suffix in (".sqlite3", ".dump"))[-1]

    assert [first.name, second.name, third.name] == sorted([first.name, second.name, third.name])
    remaining = sorted(p.name for p in dest.iterdir() if not p.name.startswith("."))
    assert remaining == sorted([second.name, second.with_suffix(".json").name, third.name,
                                third.with_suffix(".json").name, "notes.txt"])


def test_restore_answered_no_changes_nothing(app, world, tmp_path):
    make_need(app, territory_id=world.commune.id, title="Besoin d'avant la sauvegarde")
    copy, _ = _backup(app, tmp_path)
    make_need(app, territory_id=world.commune.id, title="Besoin d'après la sauvegarde")

    result = _cli(app, "restore", copy, input="n\n")
    assert result.exit_code == 1
    assert "seront remplacées par celles de cette copie" in result.output
    assert "Restauration annulée : la base n'a pas été modifiée." in result.output
    assert _titles(app) == ["Besoin d'avant la sauvegarde", "Besoin d'après la sauvegarde"]


def _damage(app, copy: Path, data: bytes) -> bytes:
    """Garble the copy where its rows are: on SQLite the header of the need table's root page,
    on PostgreSQL the archive's last fifth (its compressed data blocks come after the table of
    contents)."""
    damaged = bytearray(data)
    if _is_sqlite(app):
        with sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True) as conn:
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'need'").fetchone()[0]
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        start = (root - 1) * page_size + (100 if root == 1 else 0)
        damaged[start:start + 12] = b"\xff" * 12
    else:
        for i in range(len(data) * 4 // 5, len(data)):
            damaged[i] ^= 0x5A
    return bytes(damaged)


def test_a_damaged_copy_is_refused_and_the_database_left_alone(app, world, tmp_path):
    make_need(app, territory_id=world.commune.id, title="Besoin d'avant la sauvegarde")
    copy, manifest = _backup(app, tmp_path)
    make_need(app, territory_id=world.commune.id, title="Besoin d'après la sauvegarde")
    both = ["Besoin d'avant la sauvegarde", "Besoin d'après la sauvegarde"]
    manifest_path = copy.with_suffix(".json")
    original = copy.read_bytes()

    def write_manifest(**changes):
        manifest_path.write_text(json.dumps({**manifest, **changes}), encoding="utf-8")

    # Truncated: its size and checksum no longer match the manifest.
    copy.write_bytes(original[:len(original) // 2])
    result = _cli(app, "restore", copy, "--yes")
    assert result.exit_code == 1
    assert "Restauration refusée : Copie abîmée" in result.output and "tronqué" in result.output

    # Damaged before its checksum was taken (the manifest agrees with the bad bytes): the content
    # checks refuse it, alone (--check) and before a restore.
    copy.write_bytes(original)
    damaged = _damage(app, copy, original)
    copy.write_bytes(damaged)
    write_manifest(bytes=len(damaged), sha256=hashlib.sha256(damaged).hexdigest())
    for options in (["--check"], ["--yes"]):
        result = _cli(app, "restore", copy, *options)
        assert result.exit_code == 1, result.output
        assert "Restauration refusée : Copie abîmée" in result.output

    # Intact bytes but a manifest announcing a row that is not there.
    copy.write_bytes(original)
    need = _table(app, "need")
    write_manifest(rows={**manifest["rows"], need: manifest["rows"][need] + 1})
    result = _cli(app, "restore", copy, "--yes")
    assert result.exit_code == 1
    assert f"{need} : 1 au lieu de 2" in result.output

    # A copy without its manifest is not restored.
    manifest_path.unlink()
    result = _cli(app, "restore", copy, "--yes")
    assert result.exit_code == 1 and "Manifeste introuvable" in result.output
    assert _titles(app) == both

    write_manifest()
    result = _cli(app, "restore", copy, "--check")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Copie vérifiée : {copy.name}")
    assert _titles(app) == both
