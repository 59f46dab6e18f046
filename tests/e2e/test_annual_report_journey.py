"""The complaints office opens the CDU's annual report (axe on every page), writes one of the
CDU's sections, and downloads the PDF, which opens and has the right totals (pdftotext)."""
from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.support.complaints import make_cdu, make_complaint
from tests.support.factories import PASSWORD, make_world


def test_office_reads_the_report_writes_a_section_and_downloads_the_pdf(site, live_app, tmp_path):
    if shutil.which("pdftotext") is None:  # make test installs poppler-utils
        pytest.skip("pdftotext is missing")
    world = make_world(live_app)
    cdu = make_cdu(live_app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    now = datetime.now(UTC).replace(microsecond=0)
    year = now.astimezone(ZoneInfo("Europe/Paris")).year
    for days, status in ((1, "acknowledged"), (2, "closed"), (3, "out_of_scope")):
        make_complaint(live_app, establishment_id=world.hospital.id, status=status,
                       received_at=max(now - timedelta(days=days), datetime(year, 1, 1, 12, tzinfo=UTC)))
    page = site.page

    log_in(site, cdu.officer.email, PASSWORD)
    site.goto(f"/reclamations/etablissements/{world.hospital.id}/rapport/{year}")
    expect(page.locator("#report-total")).to_have_attribute("data-count", "3")
    site.navigate(lambda: page.locator("#report-edit").click())
    page.locator("#satisfaction").fill("Questionnaires de sortie : 86 % de satisfaits.")
    site.navigate(lambda: page.locator("#report-sections-form button[type=submit]").click())
    expect(page.locator("#report-text-satisfaction")).to_contain_text("86 % de satisfaits")

    # The PDF is laid out on the server (about a second alone); with the SQLite and PostgreSQL
    # passes side by side on a slow shared machine it once took more than Playwright's 10 s.
    with page.expect_download(timeout=60_000) as download:
        page.locator("#report-pdf").click()
    path = tmp_path / "rapport.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    totals = {line.split()[-1] for line in text.splitlines() if line.strip()}
    assert "3" in totals and "86 % de satisfaits" in text and "CH de Belrive" in text
