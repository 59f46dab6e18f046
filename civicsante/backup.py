"""Backups of the database, verified, kept in N generations, and their restore.

``flask --app civicsante backup DEST [--keep N]`` and ``restore SRC [--yes]`` (civicsante/cli.py)
call the three use cases here: ``backup``, ``verify`` and ``restore``.

A generation is two files in DEST named after the time of the copy in UTC, so that their names
sort by time: ``civicsante-20260314T020000.123Z.sqlite3`` (or ``.dump``) and its manifest
``civicsante-20260314T020000.123Z.json`` (engine, time, Alembic revision, rows per table, bytes,
SHA-256).

Both engines copy one consistent snapshot while the application keeps writing, and count the rows
of every table in that same snapshot:

- SQLite: a read transaction is opened on the source and every table counted in it; SQLite's
  online backup API then copies from that same connection, which reads from the transaction it
  already holds (in WAL mode writers go on meanwhile and their commits are not in the copy). The
  copy is switched to ``journal_mode=DELETE`` so that it is one self-contained file, then checked
  with ``PRAGMA integrity_check`` and counted again: the counts must equal the source's.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot()``), counts
  every table, and ``pg_dump --format=custom --snapshot=…`` dumps exactly that snapshot. The dump
  is verified by ``pg_restore --data-only --file=-``: it decodes the archive's table of contents
  and every compressed data block (a truncated or damaged file fails there), and the rows of each
  table's COPY block are counted and compared. No scratch database is needed (nor the right to
  create one), and the restore later goes through the same pg_restore.

A failed verification deletes the new copy and keeps every older generation; the oldest
generations beyond N are deleted only once the new one is verified and in place.

Restore verifies the copy against its manifest (size, SHA-256, integrity, rows per table) before
touching the database, then replaces its content: on SQLite with the backup API from the copy into
the live file (one write transaction through the live file's WAL, atomic: a crash leaves the old
data or the new); on PostgreSQL with ``pg_restore --clean --if-exists --single-transaction`` (all
or nothing as well). The application must be stopped while it runs: requests served during a
restore would be answered from the data being replaced, and on PostgreSQL their locks would hold
the restore back (it gives up, changing nothing, after ``RESTORE_LOCK_TIMEOUT_S``).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from babel.numbers import format_decimal
from sqlalchemy.engine import URL

FORMAT = "civicsante-backup/1"
DEFAULT_KEEP = 7
PREFIX = "civicsante-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# A generation's files: the copy and its manifest, named by the UTC time to the millisecond.
GENERATION_NAME = re.compile(r"^civicsante-(\d{8}T\d{6}\.\d{3}Z)\.(sqlite3|dump|json)$")
LOCK_NAME = ".civicsante-backup.lock"
PART = ".part"
# How long a PostgreSQL restore waits for a lock held by someone else before giving up.
RESTORE_LOCK_TIMEOUT_S = 10
_COPY_LINE = re.compile(rb'^COPY ((?:"(?:[^"]|"")*"|[^ ."]+)\.(?:"(?:[^"]|"")*"|[^ ."]+)) ')
_CHUNK = 1 << 20


class BackupError(Exception):
    """Something the operator must know, in French; nothing was changed that should not be."""


# The database ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Database:
    """Where the live data is: a SQLite file, or a PostgreSQL database (libpq parameters without
    the password, which goes to the client tools through ``PGPASSWORD``, not their command line)."""

    engine: str
    sqlite_path: Path | None = None
    pg_conninfo: str | None = None
    pg_password: str | None = field(default=None, repr=False)
    busy_timeout_ms: int = 5000

    @classmethod
    def from_url(cls, url: URL, *, busy_timeout_ms: int = 5000) -> Database:
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
                raise BackupError("La base SQLite configurée n'est pas un fichier : rien à sauvegarder.")
            return cls("sqlite", sqlite_path=Path(url.database).resolve(), busy_timeout_ms=busy_timeout_ms)
        if url.get_backend_name() == "postgresql":
            from psycopg.conninfo import conninfo_to_dict, make_conninfo

            params = conninfo_to_dict(url.set(drivername="postgresql").render_as_string(hide_password=False))
            password = params.pop("password", None)
            return cls("postgresql", pg_conninfo=make_conninfo(**params), pg_password=password)
        raise BackupError(f"Moteur de base non pris en charge : {url.get_backend_name()}.")

    def describe(self) -> str:
        if self.engine == "sqlite":
            return f"SQLite {self.sqlite_path}"
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(self.pg_conninfo)
        where = f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"
        return f"PostgreSQL {params.get('dbname', '')} sur {where}"

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.pg_password is not None:
            env["PGPASSWORD"] = self.pg_password
        return env

    def pg_connect(self):
        import psycopg

        kwargs = {"password": self.pg_password} if self.pg_password is not None else {}
        return psycopg.connect(self.pg_conninfo, autocommit=True, **kwargs)


# Backup ------------------------------------------------------------------------------------------

@dataclass
class BackupResult:
    copy: Path
    manifest: dict
    kept: list[Path]
    removed: list[Path]


def backup(database: Database, dest: Path, keep: int = DEFAULT_KEEP) -> BackupResult:
    """Copy the database into a new generation in ``dest`` (created if missing), verify the copy
    against the counts of the same snapshot, then delete the generations beyond ``keep``."""
    if keep < 1:
        raise BackupError("Il faut garder au moins une génération (--keep 1).")
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"Impossible de créer le dossier {dest} : {error.strerror}.") from error
    with _locked(dest):
        for stale in dest.glob(f"{PREFIX}*{PART}"):  # left by an interrupted backup
            stale.unlink(missing_ok=True)
        started = time.monotonic()
        now = datetime.now(timezone.utc)
        stem = f"{PREFIX}{now.strftime('%Y%m%dT%H%M%S')}.{now.microsecond // 1000:03d}Z"
        copy = dest / f"{stem}{SUFFIXES[database.engine]}"
        manifest_path = dest / f"{stem}.json"
        if copy.exists() or manifest_path.exists():
            raise BackupError(f"{copy.name} existe déjà : relancez la sauvegarde.")
        part = copy.with_name(copy.name + PART)
        try:
            if database.engine == "sqlite":
                snapshot = _sqlite_backup(database, part)
            else:
                snapshot = _pg_backup(database, part)
            _fsync(part)
            manifest = {
                "format": FORMAT,
                "engine": database.engine,
                "file": copy.name,
                "created_at": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                "alembic_revision": snapshot.revision,
                "bytes": part.stat().st_size,
                "sha256": _sha256(part),
                "source_bytes": snapshot.source_bytes,
                "duration_s": round(time.monotonic() - started, 3),
                "rows": snapshot.rows,
            }
            _write_json(manifest_path, manifest)
            part.rename(copy)
            _fsync_dir(dest)
        except BaseException:
            part.unlink(missing_ok=True)
            manifest_path.unlink(missing_ok=True)
            raise
        kept, removed = _prune(dest, keep)
    return BackupResult(copy, manifest, kept, removed)


@dataclass
class _Snapshot:
    rows: dict[str, int]
    revision: str | None
    source_bytes: int


def _sqlite_backup(database: Database, part: Path) -> _Snapshot:
    if not database.sqlite_path.is_file():
        raise BackupError(f"Base SQLite introuvable : {database.sqlite_path}.")
    source = _sqlite_connect(database.sqlite_path, database.busy_timeout_ms)
    try:
        # The app's own setting, so that the read transaction below never blocks its writers.
        source.execute("PRAGMA journal_mode = WAL")
        source.execute("BEGIN")
        tables = _sqlite_tables(source)  # the first read fixes the transaction's snapshot
        rows = _sqlite_counts(source, tables)
        revision = _sqlite_revision(source, tables)
        page_size = source.execute("PRAGMA page_size").fetchone()[0]
        source_bytes = source.execute("PRAGMA page_count").fetchone()[0] * page_size
        target = sqlite3.connect(part, isolation_level=None)
        try:
            source.backup(target)  # from the transaction held above: the snapshot just counted
            # One self-contained file (no -wal beside it); the restore puts the live file back in WAL.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        source.execute("COMMIT")
    except sqlite3.Error as error:
        raise BackupError(f"La copie SQLite a échoué : {error}.") from error
    finally:
        source.close()
    _check_sqlite_copy(part, rows, "la source")
    return _Snapshot(rows, revision, source_bytes)


def _pg_backup(database: Database, part: Path) -> _Snapshot:
    import psycopg

    try:
        with database.pg_connect() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            rows = _pg_counts(conn)
            revision = _pg_revision(conn)
            source_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            # The transaction stays open until pg_dump is done: its snapshot must live as long.
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", f"--file={part}",
                  f"--dbname={database.pg_conninfo}"], database.pg_env(), "pg_dump")
            conn.execute("COMMIT")
    except psycopg.Error as error:
        raise BackupError(f"Connexion à PostgreSQL impossible : {error}".strip()) from error
    _compare_rows(_dump_rows(part), rows, "la copie", "la source")
    return _Snapshot(rows, revision, source_bytes)


# Verification ------------------------------------------------------------------------------------

def verify(src: Path) -> tuple[Path, dict]:
    """Check a copy against its manifest: size, SHA-256, then its content (SQLite
    ``integrity_check`` and rows per table; PostgreSQL: the whole archive decoded by pg_restore
    and its rows per table). Returns the copy's path and its manifest; raises BackupError."""
    copy, manifest_path = _copy_and_manifest(Path(src))
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"Manifeste illisible : {manifest_path}.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or \
            manifest.get("engine") not in SUFFIXES or not isinstance(manifest.get("rows"), dict):
        raise BackupError(f"{manifest_path.name} n'est pas un manifeste de sauvegarde CivicSanté.")
    if not copy.is_file():
        raise BackupError(f"Copie introuvable : {copy}.")
    size = copy.stat().st_size
    if size != manifest.get("bytes"):
        raise BackupError(f"Copie abîmée : {copy.name} fait {size} octets, le manifeste en annonce "
                          f"{manifest.get('bytes')} (fichier tronqué ou remplacé).")
    if _sha256(copy) != manifest.get("sha256"):
        raise BackupError(f"Copie abîmée : l'empreinte SHA-256 de {copy.name} ne correspond pas au "
                          "manifeste (fichier modifié depuis la sauvegarde).")
    if manifest["engine"] == "sqlite":
        _check_sqlite_copy(copy, manifest["rows"], "son manifeste")
    else:
        _compare_rows(_dump_rows(copy), manifest["rows"], "la copie", "son manifeste")
    return copy, manifest


def _copy_and_manifest(src: Path) -> tuple[Path, Path]:
    if src.suffix == ".json":
        for suffix in SUFFIXES.values():
            if src.with_suffix(suffix).exists():
                return src.with_suffix(suffix), src
        raise BackupError(f"Aucune copie à côté du manifeste {src}.")
    if not src.is_file():
        raise BackupError(f"Copie introuvable : {src}.")
    manifest = src.with_suffix(".json")
    if not manifest.is_file():
        raise BackupError(f"Manifeste introuvable à côté de la copie : {manifest.name} "
                          "(une copie sans manifeste n'est pas restaurée).")
    return src, manifest


def _check_sqlite_copy(path: Path, expected: dict[str, int], reference: str) -> None:
    try:
        conn = _sqlite_read_only(path)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                more = f" (et {len(problems) - 1} autre(s) problème(s))" if len(problems) > 1 else ""
                raise BackupError(f"Copie abîmée : PRAGMA integrity_check signale {problems[0]}{more}.")
            actual = _sqlite_counts(conn, _sqlite_tables(conn))
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise BackupError(f"Copie abîmée : SQLite ne peut pas la lire ({error}).") from error
    _compare_rows(actual, expected, "la copie", reference)


def _compare_rows(actual: dict[str, int], expected: dict[str, int], what: str, reference: str) -> None:
    differences = [f"{table} : {actual.get(table, 0)} au lieu de {expected.get(table, 0)}"
                   for table in sorted(set(actual) | set(expected))
                   if actual.get(table, 0) != expected.get(table, 0)]
    missing = sorted(set(expected) - set(actual))
    if differences or missing:
        shown = "; ".join(differences[:5]) + (" ; …" if len(differences) > 5 else "")
        absent = f" Tables absentes : {', '.join(missing[:5])}." if missing else ""
        raise BackupError(f"Vérification échouée : les nombres de lignes de {what} diffèrent de "
                          f"ceux de {reference} ({shown}).{absent}")


def _dump_rows(path: Path) -> dict[str, int]:
    """Rows per table of a pg_dump archive, counted in the COPY blocks pg_restore writes out (in
    COPY text format a row is exactly one line; newlines inside values are escaped)."""
    counts: dict[str, int] = {}
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(["pg_restore", "--data-only", "--file=-", str(path)],
                                       stdout=subprocess.PIPE, stderr=errors)
        except FileNotFoundError as error:
            raise BackupError(_missing_tool("pg_restore")) from error
        table, rows = None, 0
        for line in process.stdout:
            if table is None:
                match = _COPY_LINE.match(line)
                if match:
                    table, rows = match.group(1).decode(), 0
            elif line == b"\\.\n":
                counts[table] = counts.get(table, 0) + rows
                table = None
            else:
                rows += 1
        code = process.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if code != 0 or table is not None:
        raise BackupError(f"Copie abîmée : pg_restore ne peut pas la relire ({_last_line(message)}).")
    return counts


# Restore -----------------------------------------------------------------------------------------

def restore(database: Database, copy: Path, manifest: dict) -> dict[str, int]:
    """Replace the database's content by a copy ``verify`` accepted; return the rows per table
    now in the database (checked equal to the manifest's). The application must be stopped."""
    if manifest["engine"] != database.engine:
        raise BackupError(f"Cette copie vient d'une base {ENGINE_NAMES[manifest['engine']]} ; la base "
                          f"configurée est {ENGINE_NAMES[database.engine]}.")
    if database.engine == "sqlite":
        rows = _sqlite_restore(database, copy)
    else:
        rows = _pg_restore(database, copy)
    _compare_rows(rows, manifest["rows"], "la base restaurée", "la copie")
    return rows


def _sqlite_restore(database: Database, copy: Path) -> dict[str, int]:
    database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = _sqlite_read_only(copy)
        live = _sqlite_connect(database.sqlite_path, database.busy_timeout_ms)
        try:
            live.execute("PRAGMA journal_mode = WAL")  # a new file too is made as the app makes it
            # One write transaction on the live file: its pages through the WAL, then committed.
            source.backup(live)
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            problems = [row[0] for row in live.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"Base restaurée abîmée : PRAGMA integrity_check signale {problems[0]}.")
            return _sqlite_counts(live, _sqlite_tables(live))
        finally:
            live.close()
            source.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise BackupError("La base est verrouillée par un autre processus : arrêtez "
                              "l'application, puis relancez la restauration.") from error
        raise BackupError(f"La restauration SQLite a échoué : {error}.") from error
    except sqlite3.Error as error:
        raise BackupError(f"La restauration SQLite a échoué : {error}.") from error


def _pg_restore(database: Database, copy: Path) -> dict[str, int]:
    env = database.pg_env()
    # Fail (and roll everything back) rather than wait for a running app's locks.
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT_S * 1000}".strip()
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", f"--dbname={database.pg_conninfo}", str(copy)], env, "pg_restore",
         hint="si l'application tourne encore, arrêtez-la ; la restauration tient en une "
              "transaction : rien n'a été modifié")
    with database.pg_connect() as conn:
        conn.execute("ANALYZE")  # pg_restore leaves the planner without statistics
        return _pg_counts(conn)


def revision_note(manifest: dict, migrations: Path) -> str | None:
    """Compare the copy's Alembic revision with the code's migrations: None when it is the head;
    a French reminder to upgrade when it is an older one; BackupError when this code does not
    know it (a copy from a newer version of CivicSanté: update the code first)."""
    from alembic.script import ScriptDirectory

    revision = manifest.get("alembic_revision")
    scripts = ScriptDirectory(str(migrations))
    head = scripts.get_current_head()
    if revision is None or revision == head:
        return None
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(f"Cette copie est à la révision {revision}, inconnue de ce code (tête {head}) : "
                          "elle vient d'une version plus récente de CivicSanté ; mettez le code à jour "
                          "avant de la restaurer.")
    return (f"La copie est à la révision {revision}, le code à la révision {head} : lancez "
            "« flask --app civicsante db upgrade » avant de redémarrer l'application.")


# Generations -------------------------------------------------------------------------------------

def generations(dest: Path) -> list[Path]:
    """The copies in ``dest``, oldest first (their names sort by time)."""
    return sorted(p for p in Path(dest).iterdir()
                  if GENERATION_NAME.match(p.name) and p.suffix != ".json" and p.is_file())


def _prune(dest: Path, keep: int) -> tuple[list[Path], list[Path]]:
    copies = generations(dest)
    kept, old = copies[-keep:], copies[:-keep]
    removed = []
    for copy in old:
        copy.unlink(missing_ok=True)
        copy.with_suffix(".json").unlink(missing_ok=True)
        removed.append(copy)
    # A manifest whose copy is gone (deleted by hand) and older than every copy kept.
    oldest = GENERATION_NAME.match(kept[0].name).group(1) if kept else ""
    for manifest in dest.glob(f"{PREFIX}*.json"):
        match = GENERATION_NAME.match(manifest.name)
        if match and match.group(1) < oldest and \
                not any(manifest.with_suffix(s).exists() for s in SUFFIXES.values()):
            manifest.unlink(missing_ok=True)
    _fsync_dir(dest)
    return kept, removed


# What the commands print -------------------------------------------------------------------------

def describe_backup(result: BackupResult) -> str:
    m = result.manifest
    lines = [
        f"Sauvegarde vérifiée : {result.copy}",
        f"  base : {ENGINE_NAMES[m['engine']]}, révision {m['alembic_revision'] or 'inconnue'}, "
        f"{_rows_summary(m['rows'])}, instantané du {_utc(m['created_at'])}",
        f"  copie : {_size(m['bytes'])} (base {_size(m['source_bytes'])}) en "
        f"{_number(m['duration_s'], 2 if m['duration_s'] < 10 else 0)} s, SHA-256 {m['sha256'][:16]}…",
        "  contrôles : " + ("PRAGMA integrity_check ok" if m["engine"] == "sqlite"
                            else "archive relue en entier par pg_restore")
        + ", lignes de chaque table identiques à la source",
        f"  manifeste : {result.copy.with_suffix('.json').name}",
        f"  générations gardées : {len(result.kept)}"
        + (f" ; supprimées : {', '.join(p.name for p in result.removed)}" if result.removed else ""),
    ]
    return "\n".join(lines)


def describe_copy(copy: Path, manifest: dict) -> str:
    return (f"Copie vérifiée : {copy.name} ({ENGINE_NAMES[manifest['engine']]}, instantané du "
            f"{_utc(manifest['created_at'])}, révision {manifest.get('alembic_revision') or 'inconnue'}, "
            f"{_rows_summary(manifest['rows'])}, {_size(manifest['bytes'])}).")


def describe_rows(rows: dict[str, int]) -> str:
    """The non-empty tables and their rows, one a line (PostgreSQL's ``public.`` left out)."""
    filled = {table.removeprefix("public."): n for table, n in sorted(rows.items()) if n}
    width = max((len(t) for t in filled), default=0)
    digits = max((len(_number(n)) for n in filled.values()), default=0)
    lines = [f"  {table:<{width}}  {_number(n):>{digits}}" for table, n in filled.items()]
    empty = len(rows) - len(filled)
    if empty:
        lines.append(f"  (et {empty} table(s) vide(s))")
    return "\n".join(lines)


def _rows_summary(rows: dict[str, int]) -> str:
    return f"{_number(sum(rows.values()))} lignes dans {len(rows)} tables"


def _number(value, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale="fr_FR")


def _size(n: int) -> str:
    for unit, scale in (("Go", 10**9), ("Mo", 10**6), ("ko", 10**3)):
        if n >= scale:
            return f"{_number(n / scale, 1)} {unit}"
    return f"{n} octets"


def _utc(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%d/%m/%Y %H:%M:%S UTC")


# Helpers -----------------------------------------------------------------------------------------

def _sqlite_connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn


def _sqlite_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table holding rows: virtual tables (the FTS5 index ``need_fts``, whose rows live in
    its shadow tables and in ``need``) are left out, their shadow tables counted."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    return [name for name, sql in rows if not (sql or "").lstrip().upper().startswith("CREATE VIRTUAL")]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_counts(conn: sqlite3.Connection, tables: list[str]) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in tables}


def _sqlite_revision(conn: sqlite3.Connection, tables: list[str]) -> str | None:
    if "alembic_version" not in tables:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


_PG_TABLES = """
    SELECT format('%I.%I', n.nspname, c.relname)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d  -- tables of an extension are not dumped
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY 1"""


def _pg_counts(conn) -> dict[str, int]:
    tables = [row[0] for row in conn.execute(_PG_TABLES)]
    if not tables:
        return {}
    # The names come from the catalogue, already quoted by format('%I.%I').
    query = " UNION ALL ".join(f"SELECT {i}, count(*) FROM {t}" for i, t in enumerate(tables))
    return {tables[i]: n for i, n in conn.execute(query)}


def _pg_revision(conn) -> str | None:
    if conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _run(command: list[str], env: dict, tool: str, hint: str | None = None) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError(_missing_tool(tool)) from error
    if done.returncode != 0:
        raise BackupError(f"{tool} a échoué : {_last_line(done.stderr)}" + (f" ({hint})." if hint else "."))


def _missing_tool(tool: str) -> str:
    return (f"{tool} introuvable : installez le client PostgreSQL (paquet postgresql-client, de la "
            "même version majeure que le serveur).")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "sans message"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    part = path.with_name(path.name + PART)
    part.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _fsync(part)
    part.rename(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        _fsync(path)


@contextlib.contextmanager
def _locked(dest: Path):
    """One backup at a time per folder (a cron run overlapping a manual one)."""
    with open(dest / LOCK_NAME, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BackupError(f"Une autre sauvegarde est en cours dans {dest}.") from error
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
