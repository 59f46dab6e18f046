"""The CDU's annual report (R1112-80 II) on a small crafted year: every count, the medians and the
shares within each legal deadline, the year taken in Paris time, the queries not growing with the
complaints, and the CDU's sections saved once with an audit row naming them (not their text)."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from civicsante.audit import AuditEntry
from civicsante.complaints import report as service
from civicsante.complaints import report_output
from civicsante.complaints.models import (
    Complaint,
    ComplaintCategory,
    Opinion,
    Recommendation,
    Referral,
    ReportSection,
    Reply,
)
from civicsante.extensions import db
from civicsante.mandates.models import Meeting
from civicsante.reference.models import Establishment
from tests.support.factories import make_establishment, make_user
from tests.support.mandates import make_instance
from tests.support.queries import count_queries


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class Year:
    """Builds complaints, referrals, opinions and replies with the ORM (no rule checked)."""

    def __init__(self, establishment_id, mediator_id, instance_id):
        self.establishment_id, self.mediator_id, self.instance_id = establishment_id, mediator_id, instance_id
        self.n = 0

    def complaint(self, received_at, *, channel="en_ligne", category="accueil", service="Urgences",
                  status="closed", kind=None, establishment_id=None):
        self.n += 1
        category_id = db.session.execute(select(ComplaintCategory.id).where(
            ComplaintCategory.code == category)).scalar() if category else None
        c = Complaint(establishment_id=establishment_id or self.establishment_id, channel=channel,
                      complainant_name=f"Plaignant secret {self.n}", reference=f"SECRET-{self.n:03d}",
                      facts=f"Texte confidentiel {self.n}", category_id=category_id, service_concerned=service,
                      status=status, out_of_scope_kind=kind, received_at=received_at)
        db.session.add(c)
        db.session.flush()
        return c

    def referral(self, complaint, *, kind="non_medecin", referred_at, due, outcome=None, held=None,
                 recorded=None, report_due=None, reported=None):
        db.session.add(Referral(complaint_id=complaint.id, mediator_id=self.mediator_id, kind=kind,
                                referred_at=referred_at, meeting_due_on=due, meeting_outcome=outcome,
                                meeting_at=held, outcome_recorded_at=recorded or held,
                                report_due_on=report_due, reported_at=reported))

    def session(self, starts_at):
        meeting = Meeting(instance_id=self.instance_id, title="Séance", starts_at=starts_at,
                          ends_at=starts_at + timedelta(hours=2))
        db.session.add(meeting)
        db.session.flush()
        return meeting

    def opinion(self, complaint, kind, meeting, reply_at=None):
        db.session.add(Opinion(complaint_id=complaint.id, kind=kind, text="Avis confidentiel",
                               meeting_id=meeting.id))
        if reply_at:
            db.session.add(Reply(complaint_id=complaint.id, text="Réponse", sent_at=reply_at))


@pytest.fixture
def crafted(app, world):
    """The year 2025 of ``world.hospital``, with a few rows outside it that must not count."""
    mediator = make_user(app, role="mediator", establishment_id=world.hospital.id)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    other = make_establishment(app, territory_id=world.commune.id)
    with app.app_context():
        y = Year(world.hospital.id, mediator.id, instance.id)
        m1, m2 = y.session(at(2025, 4, 1, 12)), y.session(at(2025, 6, 10, 8))
        c1 = y.complaint(at(2025, 3, 1, 10))
        y.referral(c1, referred_at=at(2025, 3, 3, 9), due=date(2025, 3, 11), outcome="met",
                   held=at(2025, 3, 7, 14), report_due=date(2025, 3, 15), reported=at(2025, 3, 20, 9))
        y.opinion(c1, "recommandations", m1, reply_at=at(2025, 4, 5, 9))  # 4 days: within
        c2 = y.complaint(at(2025, 5, 9, 10), channel="courrier", category="soins_medicaux", service=" Cardiologie ")
        y.referral(c2, kind="medecin", referred_at=at(2025, 5, 10, 9), due=date(2025, 5, 18), outcome="met",
                   held=at(2025, 5, 20, 9), report_due=date(2025, 5, 28), reported=at(2025, 5, 25, 9))
        y.referral(c2, referred_at=at(2025, 5, 10, 9), due=date(2025, 5, 18), outcome="refused",
                   recorded=at(2025, 5, 12, 9), report_due=date(2025, 5, 20), reported=at(2025, 5, 14, 9))
        y.opinion(c2, "voies_de_recours", m2, reply_at=at(2025, 6, 25, 9))  # 15 days: late
        # 23:30 UTC on 31 December 2024 is 00:30 on 1 January 2025 in Paris: it counts in 2025.
        y.complaint(at(2024, 12, 31, 23, 30), channel="telephone", category=None, service="",
                    status="out_of_scope", kind="recours_gracieux")
        # 22:59 UTC on 31 December 2025 is still 2025 in Paris; 23:30 UTC is 2026.
        c5 = y.complaint(at(2025, 12, 31, 22, 59), channel="courriel", category="delais", status="acknowledged")
        y.referral(c5, referred_at=at(2025, 12, 31, 22, 59), due=date(2026, 1, 9))
        y.complaint(at(2025, 12, 31, 23, 30), channel="en_personne")
        y.complaint(at(2025, 6, 1, 9), establishment_id=other.id)
        c7 = y.complaint(at(2025, 7, 1, 9))
        db.session.add(Reply(complaint_id=c7.id, direct=True, text="Réponse directe", sent_at=at(2025, 7, 2, 9)))
        c8 = y.complaint(at(2025, 7, 20, 9), service="Maternité", status="report_due")
        y.referral(c8, referred_at=at(2025, 7, 21, 9), due=date(2025, 7, 29), outcome="impossible",
                   recorded=at(2025, 8, 1, 9), report_due=date(2025, 8, 9))
        for issued, status, establishment_id in ((date(2025, 4, 1), "realisee", world.hospital.id),
                                                 (date(2025, 12, 31), "en_cours", world.hospital.id),
                                                 (date(2024, 12, 31), "proposee", world.hospital.id),
                                                 (date(2026, 1, 1), "proposee", world.hospital.id),
                                                 (date(2025, 5, 1), "proposee", other.id)):
            db.session.add(Recommendation(establishment_id=establishment_id, text="Recommandation",
                                          issued_on=issued, status=status))
        db.session.commit()
    return world.hospital.id


def _counts(rows):
    return {row.code: row.count for row in rows if row.count}


def test_the_figures_of_a_crafted_year(app, crafted):
    with app.app_context():
        report = service.annual_report(db.session.get(Establishment, crafted), 2025)
    assert report.total == 6
    assert _counts(report.by_channel) == {"en_ligne": 3, "courrier": 1, "telephone": 1, "courriel": 1}
    assert [row.code for row in report.by_channel] == ["en_ligne", "courrier", "courriel", "telephone",
                                                       "en_personne"]  # zeros kept, in order
    assert _counts(report.by_category) == {"accueil": 3, "soins_medicaux": 1, "delais": 1, "": 1}
    assert [(row.code, row.count) for row in report.by_service] == [
        ("Urgences", 3), ("Cardiologie", 1), ("Maternité", 1), ("", 1)]  # trimmed; "not stated" last
    assert _counts(report.by_status) == {"closed": 3, "out_of_scope": 1, "acknowledged": 1, "report_due": 1}
    assert _counts(report.by_opinion) == {"recommandations": 1, "voies_de_recours": 1}
    assert _counts(report.out_of_scope) == {"recours_gracieux": 1} and report.out_of_scope_total == 1
    assert _counts(report.mediations) == {"met": 2, "refused": 1, "impossible": 1, "pending": 1}
    assert report.mediations_held == 2
    assert _counts(report.recommendations) == {"realisee": 1, "en_cours": 1}
    assert report.recommendations_issued == 2


def test_medians_and_shares_within_each_deadline(app, crafted):
    with app.app_context():
        report = service.annual_report(db.session.get(Establishment, crafted), 2025)
    delays = {d.step: d for d in report.delays}
    # Meetings held: 4 days (by the due date) and 10 days (2 days late).
    assert (delays["meeting"].measured, delays["meeting"].median_days, delays["meeting"].within) == (2, 7.0, 1)
    assert delays["meeting"].share_within == 0.5 and delays["meeting"].legal_days == 8
    # Reports: 13 days (late), 5 days, and 2 days after the refusal was recorded.
    assert (delays["report"].measured, delays["report"].median_days, delays["report"].within) == (3, 5.0, 2)
    # Replies after the session: 4 and 15 days; the direct answer is not a reply to a session.
    assert (delays["reply"].measured, delays["reply"].median_days, delays["reply"].within) == (2, 9.5, 1)


def test_nothing_measured_gives_no_median(app, world):
    with app.app_context():
        report = service.annual_report(db.session.get(Establishment, world.hospital.id), 2025)
    assert report.total == 0
    assert all(d.measured == 0 and d.median_days is None and d.share_within is None for d in report.delays)


def test_the_year_is_taken_in_paris_time():
    start, end = service.year_bounds(2025)
    assert start == at(2024, 12, 31, 23) and end == at(2025, 12, 31, 23)  # winter time, UTC+1


def test_queries_do_not_grow_with_the_complaints(app, crafted):
    def queries():
        with count_queries(app) as statements, app.app_context():
            service.annual_report(db.session.get(Establishment, crafted), 2025)
        return len(statements)

    before = queries()
    with app.app_context():
        y = Year(crafted, None, None)
        y.n = 100
        mediator_id = db.session.execute(select(Referral.mediator_id).limit(1)).scalar()
        y.mediator_id = mediator_id
        for day in range(1, 21):
            c = y.complaint(at(2025, 9, day, 9))
            y.referral(c, referred_at=at(2025, 9, day, 10), due=date(2025, 9, day + 8), outcome="met",
                       held=at(2025, 9, day + 1, 10), report_due=date(2025, 9, day + 9),
                       reported=at(2025, 9, day + 2, 10))
        db.session.commit()
    assert queries() == before <= 8


def test_no_personal_data_in_the_csv_nor_the_document(app, crafted):
    with app.test_request_context():
        report = service.annual_report(db.session.get(Establishment, crafted), 2025)
        text = report_output.csv_text(report)
        html = report_output.document_html(report)
    for secret in ("Plaignant secret", "SECRET-", "Texte confidentiel", "Avis confidentiel"):
        assert secret not in text and secret not in html
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(report_output.CSV_HEADER)
    assert ["total", "", rows[1][2], "6"] == rows[1]
    assert [r[3] for r in rows if r[:2] == ["delay_meeting", "share_within"]] == ["0.5000"]
    assert [r[3] for r in rows if r[:2] == ["delay_reply", "median_days"]] == ["9.5"]
    assert 'id="report-total" data-count="6"' in html


def test_sections_are_saved_once_and_audited_without_their_text(app, world):
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    with app.app_context():
        establishment = db.session.get(Establishment, world.hospital.id)
        by = db.session.get(type(officer), officer.id)
        texts = {"satisfaction": "  Taux de satisfaction : 87 %.\r\nQuestionnaires : 412.  ", "dossier_medical": ""}
        assert service.save_sections(establishment, 2025, texts, by=by) == ["satisfaction"]
        db.session.commit()
        assert service.save_sections(establishment, 2025, texts, by=by) == []
        assert service.annual_report_sections(establishment, 2025)["satisfaction"] == (
            "Taux de satisfaction : 87 %.\nQuestionnaires : 412.")
        assert db.session.execute(select(ReportSection.key)).scalars().all() == ["satisfaction"]
        entries = db.session.execute(select(AuditEntry).where(
            AuditEntry.action == "complaint_report.sections")).scalars().all()
        assert len(entries) == 1 and "87" not in json.dumps(entries[0].detail_dict)
        with pytest.raises(service.DomainError) as refused:
            service.save_sections(establishment, 2025, {"projet_des_usagers": "x" * 20_001}, by=by)
        assert refused.value.field == "projet_des_usagers"
