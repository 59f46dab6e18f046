"""``flask import-territories`` and ``flask import-establishments``: all or nothing, every bad row
reported with its line number, upsert of known codes, thousands of rows in seconds."""
from __future__ import annotations

import re
import time
from pathlib import Path

from sqlalchemy import func, select

from civicsante.audit import AuditEntry
from civicsante.extensions import db
from civicsante.reference.models import Establishment, Territory

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def _import(app, tmp_path, command: str, content: str | bytes):
    path = tmp_path / "import.csv"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return app.test_cli_runner().invoke(args=[command, str(path)])


def _bad_lines(result) -> list[int]:
    return [int(n) for n in re.findall(r"^ligne (\d+) : ", result.stderr, re.MULTILINE)]


def _territories(app) -> dict[str, Territory]:
    with app.app_context():
        rows = db.session.execute(select(Territory)).scalars().all()
        db.session.expunge_all()
        return {t.code: t for t in rows}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _assert_paths_follow_parents(territories: dict[str, Territory]) -> None:
    by_id = {t.id: t for t in territories.values()}
    for t in territories.values():
        parent_path = by_id[t.parent_id].path if t.parent_id else "/"
        assert t.path == f"{parent_path}{t.id}/", t.code


# Territories ------------------------------------------------------------------------------------

def test_the_sample_territories_import(app, tmp_path):
    result = _import(app, tmp_path, "import-territories", (SAMPLES / "territoires.csv").read_bytes())
    assert result.exit_code == 0, result.output
    assert "8 créé(s)" in result.stdout
    territories = _territories(app)
    assert len(territories) == 8
    assert territories["98003"].parent_id == territories["98"].id  # a commune without EPCI
    assert territories["QN098002"].name == "Le Moulin, quartier nord"  # quoted comma
    _assert_paths_follow_parents(territories)
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "territory.import")).scalar_one()
        assert entry.detail_dict == {"created": 8, "updated": 0} and entry.actor_id is None


def test_parents_may_come_later_in_the_file(app, tmp_path):
    result = _import(app, tmp_path, "import-territories",
                     "code,name,kind,parent_code\n"
                     "Q1,Quartier,quartier,C1\n"
                     "C1,Commune,commune,D1\n"
                     "D1,Département,Département,R1\n"
                     "R1,Région,Région,\n")
    assert result.exit_code == 0, result.output
    territories = _territories(app)
    assert territories["Q1"].parent_id == territories["C1"].id
    assert territories["D1"].kind == "departement" and territories["R1"].kind == "region"
    _assert_paths_follow_parents(territories)


def test_bad_rows_are_all_reported_with_their_line_and_nothing_is_imported(app, tmp_path, world):
    result = _import(app, tmp_path, "import-territories",
                     "code,name,kind,parent_code\n"
                     "R9,Région neuve,region,\n"             # 2: fine
                     "X1,Ailleurs,planète,\n"                # 3: unknown level
                     "C9,Commune,commune,NOWHERE\n"          # 4: unknown parent
                     "\n"                                    # 5: blank, skipped
                     "C8,,commune,R9\n"                      # 6: no name
                     '"C7","Sur deux\nlignes",commune,R9\n'  # 7-8: fine, a quoted line break
                     "R9,Doublon,region,\n"                  # 9: code already on line 2
                     "D9,Trop haut,departement,01001\n"      # 10: parent is a smaller level
                     "01001,Belrive,quartier,D01\n")         # 11: it has a quartier below it
    assert result.exit_code == 1
    assert _bad_lines(result) == [3, 4, 6, 9, 10, 11]
    assert "Rien n'a été importé" in result.stderr
    assert "ligne 3 : kind" in result.stderr and "ligne 4 : parent_code" in result.stderr
    assert _count(app, Territory) == 5  # the world's, untouched
    with app.app_context():
        assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "territory.import")).first() is None


def test_a_missing_column_is_reported_on_line_1(app, tmp_path):
    result = _import(app, tmp_path, "import-territories", "code,name,kind\nR1,Région,region\n")
    assert result.exit_code == 1 and _bad_lines(result) == [1]
    assert "parent_code" in result.stderr


def test_a_file_that_is_not_utf8_is_refused(app, tmp_path):
    content = "code,name,kind,parent_code\nR1,Région,region,\nR2,Île,region,\n".encode("latin-1")
    result = _import(app, tmp_path, "import-territories", content)
    assert result.exit_code == 1 and _bad_lines(result) == [2]
    assert _count(app, Territory) == 0


def test_semicolons_and_a_byte_order_mark_are_understood(app, tmp_path):
    content = "\ufeffcode;name;kind;parent_code\r\nR1;Région, nord;region;\r\nD1;Dépt;departement;R1\r\n"
    result = _import(app, tmp_path, "import-territories", content.encode("utf-8"))
    assert result.exit_code == 0, result.output
    territories = _territories(app)
    assert territories["R1"].name == "Région, nord" and territories["D1"].parent_id == territories["R1"].id


def test_known_codes_are_updated_not_duplicated(app, tmp_path, world):
    other = "D02"
    result = _import(app, tmp_path, "import-territories",
                     "code,name,kind,parent_code\n"
                     f"{other},Autre département,departement,R01\n"
                     "01001,Belrive-sur-Mer,commune,D02\n"   # renamed and moved, with its quartier
                     "01002,Montclair,commune,D01\n")        # unchanged
    assert result.exit_code == 0, result.output
    assert "1 créé(s), 1 mis à jour, 1 inchangé(s)" in result.stdout
    territories = _territories(app)
    assert len(territories) == 6
    commune = territories["01001"]
    assert commune.id == world.commune.id and commune.name == "Belrive-sur-Mer"
    assert commune.parent_id == territories[other].id
    # The quartier is not in the file, but moved with its commune.
    assert territories["Q01001"].path == f"{commune.path}{world.quartier.id}/"
    _assert_paths_follow_parents(territories)


def test_five_thousand_rows_import_in_seconds(app, tmp_path):
    lines = ["code,name,kind,parent_code", "R1,Région,region,"]
    lines += [f"D{d},Département {d},departement,R1" for d in range(10)]
    lines += [f"C{n:05d},Commune {n},commune,D{n % 10}" for n in range(4989)]
    started = time.monotonic()
    result = _import(app, tmp_path, "import-territories", "\n".join(lines) + "\n")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert _count(app, Territory) == 5000
    assert elapsed < 10, f"{elapsed:.1f} s"
    # Again: everything is known and unchanged.
    again = _import(app, tmp_path, "import-territories", "\n".join(lines) + "\n")
    assert "0 créé(s), 0 mis à jour, 5000 inchangé(s)" in again.stdout


# Establishments ---------------------------------------------------------------------------------

def test_the_sample_establishments_import(app, tmp_path):
    assert _import(app, tmp_path, "import-territories", (SAMPLES / "territoires.csv").read_bytes()).exit_code == 0
    result = _import(app, tmp_path, "import-establishments", (SAMPLES / "etablissements.csv").read_bytes())
    assert result.exit_code == 0, result.output
    assert "4 créé(s)" in result.stdout
    with app.app_context():
        clinic = db.session.execute(select(Establishment).where(Establishment.finess == "980000024")).scalar_one()
        assert clinic.kind == "clinique" and clinic.territory.code == "98003"


def test_bad_establishment_rows_are_reported_and_nothing_is_imported(app, tmp_path, world):
    result = _import(app, tmp_path, "import-establishments",
                     "finess,name,kind,territory_code\n"
                     "010000052,EHPAD,ehpad,01001\n"           # 2: fine
                     "12345,Trop court,chu,01001\n"            # 3: FINESS of 5 characters
                     "2A0000012,Corse,clinique,99999\n"        # 4: unknown territory
                     "010000060,Spa,thalasso,01001\n"          # 5: unknown kind
                     "010000052,Doublon,ehpad,01001\n")        # 6: FINESS already on line 2
    assert result.exit_code == 1
    assert _bad_lines(result) == [3, 4, 5, 6]
    assert _count(app, Establishment) == 2


def test_known_finess_numbers_are_updated(app, tmp_path, world):
    result = _import(app, tmp_path, "import-establishments",
                     "finess;name;kind;territory_code\n"
                     f"{world.hospital.finess};CH de Belrive;Centre hospitalier;01001\n"  # unchanged
                     f"{world.other_hospital.finess};Clinique du Lac;clinique;01001\n"    # renamed, moved
                     "2B0000013;Hôpital de Corse;CHU;01002\n")                         # new
    assert result.exit_code == 0, result.output
    assert "1 créé(s), 1 mis à jour, 1 inchangé(s)" in result.stdout
    with app.app_context():
        other = db.session.get(Establishment, world.other_hospital.id)
        assert (other.name, other.territory_id) == ("Clinique du Lac", world.commune.id)
        assert db.session.execute(select(Establishment).where(Establishment.finess == "2B0000013")).scalar_one().kind == "chu"
    assert _count(app, Establishment) == 3
