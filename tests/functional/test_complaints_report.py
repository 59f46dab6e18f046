"""The annual report on the demo data (issue 6: "the annual report's figures equal counts
computed directly from the demo database in the test"; "the PDF report opens and has the right
totals (pdftotext)"): the demo's complaints in every state, the report's page, CSV, PDF and CLI
equal SQL counts made here, hold no complainant's name nor reference, and only the office and
the CDU's members read it. The whole demo is loaded once per test: it is the slow part."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from civicsante.accounts.models import User
from civicsante.complaints.models import STATUSES, Complaint
from civicsante.demo import DEMO_PASSWORD
from civicsante.extensions import db
from civicsante.reference.models import Establishment
from tests.conftest import log_in

PARIS = ZoneInfo("Europe/Paris")
REQUIRED_STATES = {"received", "acknowledged", "answered", "referred", "meeting_due", "report_due",
                   "report_forwarded", "awaiting_cdu", "reply_due", "closed", "out_of_scope", "delegated_cdsp"}


def _sql(sql: str, **params):
    return db.session.execute(text(sql), params).all()


def _direct_counts(establishment_id: int, year: int) -> dict:
    """The report's figures counted with plain SQL, the year's bounds taken in Paris time."""
    start = datetime(year, 1, 1, tzinfo=PARIS).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    end = datetime(year + 1, 1, 1, tzinfo=PARIS).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    where = "c.establishment_id = :e AND c.received_at >= :s AND c.received_at < :t"
    p = {"e": establishment_id, "s": start, "t": end}
    return {
        "total": _sql(f"SELECT count(*) FROM complaint c WHERE {where}", **p)[0][0],
        "status": dict(_sql(f"SELECT status, count(*) FROM complaint c WHERE {where} GROUP BY status", **p)),
        "channel": dict(_sql(f"SELECT channel, count(*) FROM complaint c WHERE {where} GROUP BY channel", **p)),
        "out_of_scope": dict(_sql(f"SELECT out_of_scope_kind, count(*) FROM complaint c WHERE {where} "
                                  "AND out_of_scope_kind IS NOT NULL GROUP BY out_of_scope_kind", **p)),
        "opinion": dict(_sql(f"SELECT o.kind, count(*) FROM cdu_opinion o JOIN complaint c ON c.id = o.complaint_id "
                             f"WHERE {where} GROUP BY o.kind", **p)),
        "mediation": dict(_sql(f"SELECT coalesce(r.meeting_outcome, 'pending'), count(*) FROM referral r "
                               f"JOIN complaint c ON c.id = r.complaint_id WHERE {where} "
                               "GROUP BY coalesce(r.meeting_outcome, 'pending')", **p)),
        "recommendation": dict(_sql("SELECT status, count(*) FROM cdu_recommendation WHERE establishment_id = :e "
                                    "AND issued_on >= :a AND issued_on < :b GROUP BY status", e=establishment_id,
                                    a=f"{year}-01-01", b=f"{year + 1}-01-01")),
        "names": [r[0] for r in _sql(f"SELECT complainant_name FROM complaint c WHERE {where}", **p)],
        "references": [r[0] for r in _sql(f"SELECT reference FROM complaint c WHERE {where}", **p)],
    }


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        hospital = db.session.execute(db.select(Establishment).where(Establishment.finess == "990000011")).scalar_one()
        return hospital.id, hospital.finess


def _csv_figures(body: str) -> dict:
    figures: dict = {}
    for section, code, _label, value in list(csv.reader(io.StringIO(body)))[1:]:
        if section == "total":
            figures["total"] = int(value)
        elif section in ("status", "channel", "out_of_scope", "opinion", "mediation", "recommendation"):
            if int(value):
                figures.setdefault(section, {})[code] = int(value)
        elif section.startswith("delay_"):
            figures[(section, code)] = value
    return figures


def test_the_demo_has_every_state_and_overdue_steps(app, demo):
    hospital_id, _ = demo
    with app.app_context():
        statuses = {s for (s,) in _sql("SELECT DISTINCT status FROM complaint WHERE establishment_id = :e",
                                       e=hospital_id)}
        assert REQUIRED_STATES <= statuses and statuses <= set(STATUSES)
        total = _sql("SELECT count(*) FROM complaint WHERE establishment_id = :e", e=hospital_id)[0][0]
        assert 28 <= total <= 35
        today = datetime.now(PARIS).date()
        overdue = _sql("SELECT count(*) FROM complaint WHERE due_on < :d", d=today)[0][0]
        assert overdue >= 3
        resident = db.session.execute(db.select(User).where(User.email == "habitante@demo.civicsante.fr")).scalar_one()
        theirs = db.session.execute(db.select(Complaint).where(Complaint.complainant_id == resident.id)).scalars().all()
        assert len(theirs) == 1 and len(_sql("SELECT id FROM complaint_event WHERE complaint_id = :c",
                                             c=theirs[0].id)) >= 3
    before = _sql_counts(app)
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    assert _sql_counts(app) == before  # idempotent


def _sql_counts(app):
    with app.app_context():
        return [_sql(f"SELECT count(*) FROM {t}")[0][0] for t in
                ("complaint", "complaint_event", "referral", "cdu_opinion", "complaint_reply", "cdu_recommendation")]


def test_report_figures_equal_direct_counts_in_page_csv_cli_and_pdf(app, client, demo, tmp_path):
    hospital_id, finess = demo
    year = datetime.now(PARIS).year
    with app.app_context():
        expected = _direct_counts(hospital_id, year)
    assert expected["total"] > 20 and expected["mediation"].get("met")

    log_in(client, "plaintes@demo.civicsante.fr", DEMO_PASSWORD)
    base = f"/reclamations/etablissements/{hospital_id}/rapport/{year}"
    page = client.get(base)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert f'id="report-total" data-count="{expected["total"]}"' in html
    assert f'id="report-mediations-held" data-count="{expected["mediation"]["met"]}"' in html
    assert html.count("<caption>") >= 8

    response = client.get(base + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    figures = _csv_figures(body)
    for key in ("total", "status", "channel", "out_of_scope", "opinion", "mediation", "recommendation"):
        assert figures.get(key, {} if key != "total" else 0) == expected[key], key
    assert figures[("delay_meeting", "legal_days")] == "8"

    result = app.test_cli_runner().invoke(args=["report", "--establishment", finess, "--year", str(year),
                                                "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert _csv_figures(result.stdout)["total"] == expected["total"]

    pdf = client.get(base + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    outputs = {"csv": body, "html": html}
    if shutil.which("pdftotext") is None:  # make test installs poppler-utils
        pytest.skip("pdftotext is missing")
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf.data)
    pdf_text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    outputs["pdf"] = pdf_text
    assert "Belrive" in pdf_text and str(year) in pdf_text
    # The "In brief" lines of the PDF: the total and the mediations held, as counted in SQL.
    lines = [line.split() for line in pdf_text.splitlines() if line.strip()]
    assert any(words and words[-1] == str(expected["total"]) for words in lines)
    assert str(expected["mediation"]["met"]) in pdf_text

    cli_pdf = tmp_path / "cli.pdf"
    result = app.test_cli_runner().invoke(args=["report", "--establishment", finess, "--year", str(year),
                                                "--format", "pdf", "--output", str(cli_pdf)])
    assert result.exit_code == 0, result.output
    assert cli_pdf.read_bytes().startswith(b"%PDF")

    # No personal data: no complainant's name, no reference, in any output.
    for name in expected["names"] + expected["references"]:
        for kind, output in outputs.items():
            assert name not in output, (kind, name)


def test_only_the_office_and_the_cdu_members_read_it_and_the_president_writes_sections(app, demo):
    hospital_id, _ = demo
    year = datetime.now(PARIS).year
    base = f"/reclamations/etablissements/{hospital_id}/rapport/{year}"

    def client_of(email):
        client = app.test_client()
        log_in(client, email, DEMO_PASSWORD)
        return client

    for email in ("habitante@demo.civicsante.fr", "admin@demo.civicsante.fr", "animateur@demo.civicsante.fr",
                  "mediateur@demo.civicsante.fr", "gerard.martin@demo.civicsante.fr"):
        client = client_of(email)
        for suffix in ("", ".csv", ".pdf", "/sections"):
            assert client.get(base + suffix).status_code == 403, (email, suffix)
        assert client.post(base + "/sections", data={"satisfaction": "x"}).status_code == 403
    assert app.test_client().get(base).status_code == 302

    member = client_of("ru@demo.civicsante.fr")  # an RU of the CDU: reads, does not write
    assert member.get(base).status_code == 200
    assert member.get(base + "/sections").status_code == 403
    assert member.get(f"/reclamations/etablissements/{hospital_id}/rapport/{year + 1}").status_code == 404

    president = client_of("direction@demo.civicsante.fr")
    form = president.get(base + "/sections")
    assert form.status_code == 200 and 'id="report-sections-form"' in form.get_data(as_text=True)
    too_long = president.post(base + "/sections", data={"projet_des_usagers": "x" * 20_001,
                                                        "satisfaction": "Gardé tel quel"})
    assert too_long.status_code == 422 and "Gardé tel quel" in too_long.get_data(as_text=True)
    saved = president.post(base + "/sections", data={"satisfaction": "Satisfaction globale : 86 %.",
                                                     "projet_des_usagers": "Accueil des aidants."})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(base)
    page = member.get(base).get_data(as_text=True)
    assert "Satisfaction globale : 86 %." in page and "Accueil des aidants." in page
    assert "Satisfaction globale" in member.get(base + ".csv").get_data(as_text=True)


def test_the_page_runs_the_same_queries_whatever_the_number_of_complaints(app, client, world):
    from tests.support.complaints import make_cdu, make_complaint, make_referral
    from tests.support.queries import count_queries

    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    log_in(client, cdu.ru.email)
    year = datetime.now(PARIS).year
    url = f"/reclamations/etablissements/{world.hospital.id}/rapport/{year}"

    def queries() -> int:
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    make_complaint(app, establishment_id=world.hospital.id)
    first = queries()
    for channel in ("courrier", "courriel", "telephone", "en_personne", "en_ligne"):
        complaint = make_complaint(app, establishment_id=world.hospital.id, channel=channel, status="referred")
        make_referral(app, complaint_id=complaint.id, mediator_id=cdu.other_mediator.id)
    assert queries() == first
