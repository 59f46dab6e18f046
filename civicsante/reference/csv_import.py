"""Bulk import of reference data from CSV files (``flask import-territories`` and
``flask import-establishments``).

All or nothing: every row is checked first, against the rest of the file and the database
together, with the same rules as the admin screens (``reference.services``). One bad row and
nothing is written; every bad row is reported with its line number. A code already in the
database is updated in place. The database is read once up front — no query per row — and written
with a few multi-row statements, so tens of thousands of rows take seconds.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from civicsante import audit
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.reference.models import TERRITORY_KINDS, Establishment, Territory
from civicsante.reference.services import (
    check_kind_below,
    clean_code,
    clean_establishment_kind,
    clean_finess,
    clean_territory_kind,
    clean_text,
    column_length,
)

TERRITORY_COLUMNS = ("code", "name", "kind", "parent_code")
ESTABLISHMENT_COLUMNS = ("finess", "name", "kind", "territory_code")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # (line number in the file, reasons); the header is line 1.
    errors: list[tuple[int, list]] = field(default_factory=list)


# Reading --------------------------------------------------------------------------------------

def _read(data: bytes, columns: tuple[str, ...],
          report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    """The rows as (line number, {column: value}), or none with ``report.errors`` filled.

    UTF-8 with or without BOM. The delimiter is the one the header uses: the header's column
    names are known, so counting is exact where ``csv.Sniffer`` guesses (and trips on names
    holding commas).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        report.errors.append((line, [_l("The file is not UTF-8 text.")]))
        return []
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in columns if name not in header]
    if missing:
        report.errors.append((1, [_l("Missing column(s): %(columns)s.", columns=", ".join(missing))]))
        return []
    index = {name: header.index(name) for name in columns}
    rows = []
    line = reader.line_num + 1  # where the next record starts (a quoted value may span lines)
    for record in reader:
        if any(value.strip() for value in record):
            rows.append((line, {name: record[i].strip() if i < len(record) else ""
                                for name, i in index.items()}))
        line = reader.line_num + 1
    return rows


def _normalise_kind(value: str) -> str:
    """"Département", "centre hospitalier" or "CHU" as stored: no accents, lower case, "_"."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "_".join(plain.lower().replace("-", " ").split())


def _problem(column: str, message):
    return _l("%(label)s: %(message)s", label=column, message=message)


def _check(problems: list, clean, *args):
    """Run one of the services' checks; a refusal becomes a reason naming the column (the
    services name the form field, and the columns bear the same names)."""
    try:
        return clean(*args)
    except DomainError as error:
        problems.append(_problem(error.field, error.message) if error.field else error.message)
        return None


# Territories ----------------------------------------------------------------------------------

@dataclass
class _TerritoryRow:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None


def import_territories(data: bytes, *, by=None) -> ImportReport:
    """Create or update territories from ``code,name,kind,parent_code`` rows. A parent may be in
    the database or anywhere in the file, before or after its children."""
    report = ImportReport()
    rows = _read(data, TERRITORY_COLUMNS, report)
    if report.errors:
        return report
    existing = {row.code: row for row in db.session.execute(select(
        Territory.id, Territory.code, Territory.name, Territory.kind, Territory.parent_id,
        Territory.path))}
    wanted = _check_territory_rows(rows, existing, report)
    if not report.errors:
        _write_territories(wanted, existing, report)
        audit.record(by, "territory.import", None, created=report.created, updated=report.updated)
    return report


def _check_territory_rows(rows, existing: dict, report: ImportReport) -> dict[str, _TerritoryRow]:
    wanted: dict[str, _TerritoryRow] = {}
    problems_by_line: dict[int, list] = {}
    bad_codes: set[str] = set()  # reported already: their children are not blamed for them
    name_length = column_length(Territory.name)
    for line, raw in rows:
        problems: list = []
        code = _check(problems, clean_code, raw["code"], "code")
        name = _check(problems, clean_text, raw["name"], "name", name_length)
        kind = _check(problems, clean_territory_kind, _normalise_kind(raw["kind"]), "kind")
        parent_code = (_check(problems, clean_code, raw["parent_code"], "parent_code")
                       if raw["parent_code"] else None)
        if code and code in wanted:
            problems.append(_l("The code %(code)s is already on line %(line)s.",
                               code=code, line=wanted[code].line))
        elif code and code == parent_code:
            problems.append(_l("A territory cannot be its own parent."))
        if problems:
            problems_by_line[line] = problems
            bad_codes.add(code)
        elif code:
            wanted[code] = _TerritoryRow(line, code, name, kind, parent_code)

    def kind_of(code: str) -> str:
        return wanted[code].kind if code in wanted else existing[code].kind

    # Existing sub-territories the file does not mention must stay below a re-levelled parent.
    code_by_id = {row.id: code for code, row in existing.items()}
    children_kinds: dict[str, set[str]] = {}
    for code, row in existing.items():
        if row.parent_id is not None and code not in wanted:
            children_kinds.setdefault(code_by_id[row.parent_id], set()).add(row.kind)

    for row in wanted.values():
        problems = []
        if row.parent_code and row.parent_code not in bad_codes:
            if row.parent_code not in wanted and row.parent_code not in existing:
                problems.append(_problem("parent_code", _l("No territory has the code %(code)s.",
                                                           code=row.parent_code)))
            else:
                _check(problems, check_kind_below, row.kind, kind_of(row.parent_code), "parent_code")
        if any(TERRITORY_KINDS.index(child) <= TERRITORY_KINDS.index(row.kind)
               for child in children_kinds.get(row.code, ())):
            problems.append(_problem("kind", _l("Its sub-territories must stay below it: choose a "
                                                "higher level.")))
        if problems:
            problems_by_line[row.line] = problems
    report.errors = sorted(problems_by_line.items())
    return wanted


def _write_territories(wanted: dict[str, _TerritoryRow], existing: dict,
                       report: ImportReport) -> None:
    # New rows first, without parent: their ids are needed for parents and paths.
    new = [row for code, row in wanted.items() if code not in existing]
    id_of = {code: row.id for code, row in existing.items()}
    if new:
        inserted = db.session.execute(
            insert(Territory).returning(Territory.id, Territory.code),
            [{"code": r.code, "name": r.name, "kind": r.kind, "path": ""} for r in new],
        )
        id_of.update({code: territory_id for territory_id, code in inserted})

    parent_of = {row.id: row.parent_id for row in existing.values()}
    for row in wanted.values():
        parent_of[id_of[row.code]] = id_of[row.parent_code] if row.parent_code else None
    paths = _tree_paths(parent_of)

    changed_rows = []
    for row in wanted.values():
        territory_id = id_of[row.code]
        values = {"id": territory_id, "name": row.name, "kind": row.kind,
                  "parent_id": parent_of[territory_id], "path": paths[territory_id]}
        old = existing.get(row.code)
        if old is None:
            report.created += 1
        elif (old.name, old.kind, old.parent_id, old.path) == tuple(
                values[name] for name in ("name", "kind", "parent_id", "path")):
            report.unchanged += 1
            continue
        else:
            report.updated += 1
        changed_rows.append(values)
    # Territories not in the file whose ancestor moved.
    moved_descendants = [{"id": row.id, "path": paths[row.id]} for code, row in existing.items()
                         if code not in wanted and row.path != paths[row.id]]
    for batch in (changed_rows, moved_descendants):
        if batch:
            db.session.execute(update(Territory), batch)


def _tree_paths(parent_of: dict[int, int | None]) -> dict[int, str]:
    """The materialised path ("/1/4/9/") of every territory, each ancestor computed once."""
    paths: dict[int, str] = {}
    for start in parent_of:
        chain = []
        node = start
        while node is not None and node not in paths:
            chain.append(node)
            node = parent_of[node]
        prefix = paths[node] if node is not None else "/"
        for territory_id in reversed(chain):
            prefix = paths[territory_id] = f"{prefix}{territory_id}/"
    return paths


# Establishments -------------------------------------------------------------------------------

def import_establishments(data: bytes, *, by=None) -> ImportReport:
    """Create or update establishments from ``finess,name,kind,territory_code`` rows; the
    territories must already be in the database."""
    report = ImportReport()
    rows = _read(data, ESTABLISHMENT_COLUMNS, report)
    if report.errors:
        return report
    territory_ids = {code: territory_id for code, territory_id
                     in db.session.execute(select(Territory.code, Territory.id))}
    existing = {row.finess: row for row in db.session.execute(select(
        Establishment.id, Establishment.finess, Establishment.name, Establishment.kind,
        Establishment.territory_id))}
    name_length = column_length(Establishment.name)
    seen: dict[str, int] = {}
    new, changed = [], []
    for line, raw in rows:
        problems: list = []
        finess = _check(problems, clean_finess, raw["finess"], "finess")
        name = _check(problems, clean_text, raw["name"], "name", name_length)
        kind = _check(problems, clean_establishment_kind, _normalise_kind(raw["kind"]), "kind")
        territory_code = _check(problems, clean_code, raw["territory_code"], "territory_code")
        if territory_code and territory_code not in territory_ids:
            problems.append(_problem("territory_code", _l("No territory has the code %(code)s.",
                                                          code=territory_code)))
        if finess in seen:
            problems.append(_l("The FINESS number %(finess)s is already on line %(line)s.",
                               finess=finess, line=seen[finess]))
        if problems:
            report.errors.append((line, problems))
            continue
        seen[finess] = line
        values = {"finess": finess, "name": name, "kind": kind,
                  "territory_id": territory_ids[territory_code]}
        old = existing.get(finess)
        if old is None:
            new.append(values)
        elif (old.name, old.kind, old.territory_id) != (name, kind, values["territory_id"]):
            changed.append({"id": old.id, **values})
        else:
            report.unchanged += 1
    if report.errors:
        return report
    if new:
        db.session.execute(insert(Establishment), new)
    if changed:
        db.session.execute(update(Establishment), changed)
    report.created, report.updated = len(new), len(changed)
    audit.record(by, "establishment.import", None, created=report.created, updated=report.updated)
    return report
