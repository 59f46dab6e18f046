"""The CDU's annual report (R1112-80 II of the Code de la santé publique; issue 6, Build 6).

Figures only: complaints by channel, category, service concerned and outcome; the delay of each
step against its legal deadline (R1112-93: meeting within 8 days of the referral; R1112-94:
report within 8 days of the meeting; reply within 8 days of the CDU session); mediations held,
refused or impossible; out-of-scope complaints (R1112-80 I); recommendations issued in the year
and their follow-up; and the free-text sections the CDU writes itself (satisfaction, medical
records, serious adverse events, *projet des usagers*).

The report holds NO personal data: no names, no references, no text of a complaint — counts,
medians and shares only. A complaint belongs to the year of its ``received_at`` in Europe/Paris;
its referrals, opinion and reply are counted with it, whenever they happened. Recommendations
are counted in the year they were issued. Every figure comes from a handful of aggregate
queries, never one query per complaint.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from civicsante import audit
from civicsante.complaints.deadlines import PARIS, paris_date, reply_due_on, setting
from civicsante.complaints.models import (
    CHANNEL_LABELS,
    CHANNELS,
    IMPOSSIBLE,
    MET,
    OPINION_KINDS,
    OPINION_LABELS,
    OUT_OF_SCOPE_KINDS,
    OUT_OF_SCOPE_LABELS,
    RECOMMENDATION_STATUS_LABELS,
    RECOMMENDATION_STATUSES,
    REFUSED,
    REPORT_SECTIONS,
    STATUS_LABELS,
    STATUSES,
    Complaint,
    ComplaintCategory,
    Opinion,
    Recommendation,
    Referral,
    ReportSection,
    Reply,
)
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates.models import Meeting
from civicsante.reference.models import Establishment
from civicsante.types import utcnow

# The free-text sections, in the report's order (R1112-80 II).
SECTION_LABELS = {
    "satisfaction": _l("Results of the satisfaction surveys"),
    "dossier_medical": _l("Requests for medical records and their delays"),
    "evenements_indesirables": _l("Summary of serious adverse events"),
    "projet_des_usagers": _l("The users' project (projet des usagers)"),
}
SECTION_MAX_LENGTH = 20_000
PENDING = "pending"  # a referral whose meeting outcome is not recorded yet
MEDIATION_LABELS = {MET: _l("Meeting held"), REFUSED: _l("Refused by the complainant"),
                    IMPOSSIBLE: _l("Impossible"), PENDING: _l("Not yet held")}
NOT_STATED = ""
NOT_STATED_LABEL = _l("Not stated")


@dataclass(frozen=True)
class Row:
    """One line of a count table: a stable code (for the CSV), its label, the count."""

    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Delay:
    """One step measured against its legal deadline: how many steps were done, their median
    length in calendar days (Paris dates), and how many were done by the deadline."""

    step: str
    label: str
    legal_days: int
    article: str
    measured: int
    median_days: float | None
    within: int

    @property
    def share_within(self) -> float | None:
        return self.within / self.measured if self.measured else None


@dataclass
class AnnualReport:
    establishment_id: int
    establishment_name: str
    finess: str
    year: int
    total: int
    by_channel: list[Row]
    by_category: list[Row]
    by_service: list[Row]
    by_status: list[Row]
    by_opinion: list[Row]
    out_of_scope: list[Row]
    mediations: list[Row]
    delays: list[Delay]
    recommendations: list[Row]
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def recommendations_issued(self) -> int:
        return sum(row.count for row in self.recommendations)

    @property
    def out_of_scope_total(self) -> int:
        return sum(row.count for row in self.out_of_scope)

    @property
    def mediations_held(self) -> int:
        return next((row.count for row in self.mediations if row.code == MET), 0)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January 00:00 in Paris of ``year`` and of the next year, in UTC (as stored)."""
    def start(y: int) -> datetime:
        return datetime.combine(date(y, 1, 1), time(0), tzinfo=PARIS).astimezone(UTC)

    return start(year), start(year + 1)


def _rows(counts: Counter, codes, labels) -> list[Row]:
    """Every known code in order (zeros included, so reports compare year to year), then any
    code the data holds that the list does not know."""
    rows = [Row(code, str(labels.get(code, code)), counts.get(code, 0)) for code in codes]
    rows += [Row(code, str(labels.get(code, code)), n) for code, n in counts.items() if code not in codes]
    return rows


def _median_within(pairs: list[tuple[int, bool]]) -> tuple[float | None, int]:
    if not pairs:
        return None, 0
    return float(statistics.median(days for days, _ in pairs)), sum(ok for _, ok in pairs)


def annual_report(establishment: Establishment, year: int) -> AnnualReport:
    """The annual report of ``establishment``'s CDU for ``year`` (see the module docstring)."""
    start, end = year_bounds(year)
    in_year = and_(Complaint.establishment_id == establishment.id, Complaint.received_at >= start,
                   Complaint.received_at < end)

    # 1. One grouped count over the year's complaints gives every breakdown of the complaints.
    grouped = db.session.execute(
        select(Complaint.channel, ComplaintCategory.code, ComplaintCategory.label, ComplaintCategory.position,
               func.trim(Complaint.service_concerned), Complaint.status, Complaint.out_of_scope_kind,
               func.count(Complaint.id))
        .outerjoin(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .where(in_year)
        .group_by(Complaint.channel, ComplaintCategory.code, ComplaintCategory.label,
                  ComplaintCategory.position, func.trim(Complaint.service_concerned), Complaint.status,
                  Complaint.out_of_scope_kind)).all()
    channels, categories, services, statuses, scope = Counter(), Counter(), Counter(), Counter(), Counter()
    category_labels, category_order = {NOT_STATED: str(NOT_STATED_LABEL)}, {}
    for channel, code, label, position, service, status, kind, n in grouped:
        channels[channel] += n
        categories[code or NOT_STATED] += n
        if code:
            category_labels[code], category_order[code] = label, (position, label)
        services[service or NOT_STATED] += n
        statuses[status] += n
        if kind:
            scope[kind] += n
    total = sum(channels.values())

    # 2. The CDU's opinions, by kind.
    opinions = Counter(dict(db.session.execute(
        select(Opinion.kind, func.count(Opinion.id)).join(Complaint, Complaint.id == Opinion.complaint_id)
        .where(in_year).group_by(Opinion.kind)).all()))

    # 3. The referrals' dates (the medians need each length; one query for all of them).
    referrals = db.session.execute(
        select(Referral.referred_at, Referral.meeting_due_on, Referral.meeting_at, Referral.meeting_outcome,
               Referral.outcome_recorded_at, Referral.report_due_on, Referral.reported_at)
        .join(Complaint, Complaint.id == Referral.complaint_id).where(in_year)).all()
    mediations = Counter((r.meeting_outcome or PENDING) for r in referrals)
    meeting_steps, report_steps = [], []
    for r in referrals:
        if r.meeting_outcome == MET and r.meeting_at is not None:
            held = paris_date(r.meeting_at)
            meeting_steps.append(((held - paris_date(r.referred_at)).days, held <= r.meeting_due_on))
        met_on = r.meeting_at if r.meeting_outcome == MET else r.outcome_recorded_at
        if r.reported_at is not None and met_on is not None and r.report_due_on is not None:
            reported = paris_date(r.reported_at)
            report_steps.append(((reported - paris_date(met_on)).days, reported <= r.report_due_on))

    # 4. Session → reply: the session that gave the opinion, and the first reply sent after it.
    replies = db.session.execute(
        select(Meeting.starts_at, func.min(Reply.sent_at))
        .select_from(Opinion).join(Complaint, Complaint.id == Opinion.complaint_id)
        .join(Meeting, Meeting.id == Opinion.meeting_id)
        .join(Reply, and_(Reply.complaint_id == Opinion.complaint_id, Reply.direct.is_(False)))
        .where(in_year).group_by(Opinion.id, Meeting.starts_at)).all()
    reply_steps = [((paris_date(sent) - paris_date(session)).days, paris_date(sent) <= reply_due_on(session))
                   for session, sent in replies]

    # 5. Recommendations issued in the year, by follow-up status.
    recommendations = Counter(dict(db.session.execute(
        select(Recommendation.status, func.count(Recommendation.id))
        .where(Recommendation.establishment_id == establishment.id,
               Recommendation.issued_on >= date(year, 1, 1), Recommendation.issued_on < date(year + 1, 1, 1))
        .group_by(Recommendation.status)).all()))

    # 6. The CDU's own sections.
    sections = annual_report_sections(establishment, year)

    delays = []
    for step, label, name, article, pairs in (
            ("meeting", _l("Referral to mediation meeting"), "COMPLAINT_MEETING_DAYS", "R1112-93", meeting_steps),
            ("report", _l("Meeting to mediator's report"), "COMPLAINT_REPORT_DAYS", "R1112-94", report_steps),
            ("reply", _l("CDU session to reply"), "COMPLAINT_REPLY_DAYS", "R1112-94", reply_steps)):
        median, within = _median_within(pairs)
        delays.append(Delay(step, str(label), int(setting(name)), article, len(pairs), median, within))

    service_rows = sorted(((s, n) for s, n in services.items() if s != NOT_STATED), key=lambda x: (-x[1], x[0]))
    if services.get(NOT_STATED):
        service_rows.append((NOT_STATED, services[NOT_STATED]))
    category_codes = sorted(category_order, key=lambda c: category_order[c])
    return AnnualReport(
        establishment_id=establishment.id, establishment_name=establishment.name, finess=establishment.finess,
        year=year, total=total,
        by_channel=_rows(channels, CHANNELS, CHANNEL_LABELS),
        by_category=_rows(categories, category_codes, category_labels),
        by_service=[Row(s, s or str(NOT_STATED_LABEL), n) for s, n in service_rows],
        by_status=[row for row in _rows(statuses, STATUSES, STATUS_LABELS) if row.count],
        by_opinion=_rows(opinions, OPINION_KINDS, OPINION_LABELS),
        out_of_scope=_rows(scope, OUT_OF_SCOPE_KINDS, OUT_OF_SCOPE_LABELS),
        mediations=_rows(mediations, (MET, REFUSED, IMPOSSIBLE, PENDING), MEDIATION_LABELS),
        delays=delays,
        recommendations=_rows(recommendations, RECOMMENDATION_STATUSES, RECOMMENDATION_STATUS_LABELS),
        sections=sections,
    )


def annual_report_sections(establishment: Establishment, year: int) -> dict[str, str]:
    """The CDU's free-text sections of ``year`` (empty when not written), in the report's order."""
    written = dict(db.session.execute(
        select(ReportSection.key, ReportSection.text)
        .where(ReportSection.establishment_id == establishment.id, ReportSection.year == year)).all())
    return {key: written.get(key, "") for key in REPORT_SECTIONS}


def save_sections(establishment: Establishment, year: int, texts: dict[str, str], *, by) -> list[str]:
    """Write the CDU's free-text sections of ``year``'s report (the office or the CDU president:
    ``policy.can_edit_annual_report``). Only the sections whose text changed are written, and
    the audit row names them, not their text. Returns the keys changed."""
    existing = {s.key: s for s in db.session.execute(select(ReportSection).where(
        ReportSection.establishment_id == establishment.id, ReportSection.year == year)).scalars()}
    changed = []
    for key in REPORT_SECTIONS:
        text = (texts.get(key) or "").strip().replace("\r\n", "\n")
        if len(text) > SECTION_MAX_LENGTH:
            raise DomainError(_l("At most %(n)s characters.", n=SECTION_MAX_LENGTH), key)
        section = existing.get(key)
        if section is None and not text:
            continue
        if section is None:
            section = ReportSection(establishment_id=establishment.id, year=year, key=key)
            db.session.add(section)
        elif section.text == text:
            continue
        section.text, section.updated_by_id, section.updated_at = text, getattr(by, "id", None), utcnow()
        changed.append(key)
    if changed:
        db.session.flush()
        audit.record(by, "complaint_report.sections", establishment, year=year, sections=changed)
    return changed
