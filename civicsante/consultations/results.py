"""Results of a consultation: tallied from counts the database aggregates (never row by row in
Python), computed once at the close and cached, at most every few seconds while live; the
anonymised ballots anyone can recount.

Each method's counts come from one or two GROUP BY queries over ``ballot_mark`` (see
``civicsante.voting`` for the shapes ``tally_counts`` reads):
single / approval: marks per priority; points: sum of points; majority judgment: marks per
(priority, grade), ungraded filled in as the lowest grade; Borda: ranked points plus the share
of the unranked, from each ballot's number of ranked priorities; Schulze: the pairwise matrix
from a self-join of the marks of each ballot.
"""
from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy import case, func, literal_column, select

from civicsante import voting
from civicsante.accounts.models import AGE_BANDS, User
from civicsante.consultations.models import (
    ASSISTED,
    FOLLOW_UP,
    ONLINE,
    PAPER,
    RESULTS,
    SECRET,
    VOTE,
    Ballot,
    BallotMark,
    Consultation,
)
from civicsante.consultations.sealing import seal_secret_ballots
from civicsante.consultations.services import ballot_of
from civicsante.db import write_intent
from civicsante.extensions import db
from civicsante.reference.models import Territory
from civicsante.types import utcnow

# Live results are recomputed at most this often.
LIVE_RESULTS_MAX_AGE = timedelta(seconds=5)
# A breakdown group with fewer ballots is not shown (anonymity).
MIN_GROUP_SIZE = 10
ALL = "__all__"


# Aggregation ------------------------------------------------------------------------------------

def _grouped(consultation: Consultation, group):
    """(counts by group, ballots by group) for the method; ``group`` is a SQL expression on
    ``Ballot`` (or None for the whole)."""
    cid = consultation.id
    if group is None:
        key = literal_column(f"'{ALL}'")
        n_ballots = {ALL: db.session.execute(select(func.count()).select_from(Ballot)
                                             .where(Ballot.consultation_id == cid)).scalar_one()}
    else:
        key = group
        n_ballots = dict(db.session.execute(select(key, func.count()).select_from(Ballot)
                                            .where(Ballot.consultation_id == cid).group_by(key)).all())
    marks = (select(key.label("g"), BallotMark.priority_id, BallotMark.value, BallotMark.ballot_id)
             .join(Ballot, Ballot.id == BallotMark.ballot_id).where(BallotMark.consultation_id == cid))
    method = consultation.method
    counts: dict = defaultdict(dict)
    if method in ("single", "approval", "points"):
        m = marks.subquery()
        total = func.sum(m.c.value) if method == "points" else func.count()
        for g, pid, value in db.session.execute(select(m.c.g, m.c.priority_id, total).group_by(m.c.g, m.c.priority_id)):
            counts[g][str(pid)] = int(value)
    elif method == "majority_judgment":
        grades = len(consultation.grade_labels)
        m = marks.subquery()
        for g, pid, grade, n in db.session.execute(
                select(m.c.g, m.c.priority_id, m.c.value, func.count()).group_by(m.c.g, m.c.priority_id, m.c.value)):
            counts[g].setdefault(str(pid), [0] * grades)[grade] = int(n)
    elif method == "borda":
        counts = _borda(consultation, marks, n_ballots)
    elif method == "schulze":
        counts = _schulze(marks, [p.candidate_id for p in consultation.priorities])
    return counts, n_ballots


def _borda(consultation: Consultation, marks, n_ballots: dict) -> dict:
    """Rank r of n earns n - r; a ballot ranking k priorities gives each unranked one
    (n - k - 1) / 2 (they share the remaining points equally)."""
    n = len(consultation.priorities)
    m = marks.subquery()
    per_ballot = (select(m.c.g, m.c.ballot_id, func.count().label("k")).group_by(m.c.g, m.c.ballot_id)).subquery()
    # Sum over all ballots of (n - k - 1); blank ballots (k = 0) are not in ``per_ballot``.
    spread_all: dict = {}
    ranked_ballots: dict = defaultdict(int)
    for g, k, count in db.session.execute(select(per_ballot.c.g, per_ballot.c.k, func.count())
                                          .group_by(per_ballot.c.g, per_ballot.c.k)):
        spread_all[g] = spread_all.get(g, 0) + (n - k - 1) * count
        ranked_ballots[g] += count
    for g, total in n_ballots.items():
        spread_all[g] = spread_all.get(g, 0) + (total - ranked_ballots[g]) * (n - 1)
    counts: dict = defaultdict(dict)
    rows = db.session.execute(
        select(m.c.g, m.c.priority_id, func.sum(n - m.c.value), func.sum(n - per_ballot.c.k - 1))
        .join(per_ballot, (per_ballot.c.ballot_id == m.c.ballot_id))
        .group_by(m.c.g, m.c.priority_id))
    ranked_points: dict = defaultdict(dict)
    for g, pid, points, spread_ranked in rows:
        ranked_points[g][str(pid)] = (int(points), int(spread_ranked))
    for g in n_ballots:
        for priority in consultation.priorities:
            points, spread_ranked = ranked_points[g].get(priority.candidate_id, (0, 0))
            counts[g][priority.candidate_id] = points + Fraction(spread_all.get(g, 0) - spread_ranked, 2)
    return counts


def _schulze(marks, cands: list[str]) -> dict:
    """d[a][b] = ballots ranking a above b: both ranked with a better, or a ranked and b not."""
    m1, m2 = marks.subquery(), marks.subquery()
    ranked: dict = defaultdict(dict)
    for g, pid, n in db.session.execute(select(m1.c.g, m1.c.priority_id, func.count())
                                        .group_by(m1.c.g, m1.c.priority_id)):
        ranked[g][str(pid)] = int(n)
    wins: dict = defaultdict(dict)
    both: dict = defaultdict(dict)
    better = func.sum(case((m1.c.value < m2.c.value, 1), else_=0))
    rows = db.session.execute(
        select(m1.c.g, m1.c.priority_id, m2.c.priority_id, better, func.count())
        .join(m2, (m2.c.ballot_id == m1.c.ballot_id) & (m2.c.priority_id != m1.c.priority_id))
        .group_by(m1.c.g, m1.c.priority_id, m2.c.priority_id))
    for g, a, b, n_wins, n in rows:
        wins[g][(str(a), str(b))] = int(n_wins)
        both[g][(str(a), str(b))] = int(n)
    return {g: {a: {b: wins[g].get((a, b), 0) + ranked[g].get(a, 0) - both[g].get((a, b), 0)
                    for b in cands if b != a} for a in cands}
            for g in ranked}


def _tally(consultation: Consultation, counts: dict, n: int) -> voting.Result:
    cands = [p.candidate_id for p in consultation.priorities]
    if consultation.method == "schulze" and not counts:
        counts = {a: {b: 0 for b in cands if b != a} for a in cands}
    return voting.tally_counts(consultation.method, cands, counts, ballots_counted=n,
                               **consultation.tally_options)


# Results ----------------------------------------------------------------------------------------

def compute(consultation: Consultation, now: datetime | None = None) -> dict:
    """The full results as plain data: ranking, per-priority scores, ballots per channel,
    participation over eligible residents, breakdowns by sub-territory and age band."""
    counts, n_ballots = _grouped(consultation, None)
    total = n_ballots.get(ALL, 0)
    result = _tally(consultation, counts.get(ALL, {}), total)
    channels = dict(db.session.execute(select(Ballot.channel, func.count()).where(
        Ballot.consultation_id == consultation.id).group_by(Ballot.channel)).all())
    eligible = eligible_count(consultation)
    online = channels.get(ONLINE, 0) + channels.get(ASSISTED, 0)
    return {
        "method": consultation.method,
        "result": _plain(asdict(result)),
        "ballots": total,
        "channels": {ONLINE: channels.get(ONLINE, 0), PAPER: channels.get(PAPER, 0),
                     ASSISTED: channels.get(ASSISTED, 0)},
        "eligible": eligible,
        # Paper ballots may come from people without an account: the rate counts accounts only.
        "participation_rate": (online / eligible) if eligible else None,
        "breakdowns": {"territory": _by_territory(consultation), "age_band": _by_age_band(consultation)},
        "computed_at": (now or utcnow()).isoformat(),
    }


def _groups(consultation: Consultation, group, labels: dict) -> list[dict]:
    """One entry per group; a group under MIN_GROUP_SIZE ballots keeps only its name. When a
    single non-empty group would be hidden, the smallest shown one is hidden too: otherwise the
    hidden size would be the total minus the sizes shown."""
    counts, n_ballots = _grouped(consultation, group)
    small = {key for key in labels if n_ballots.get(key, 0) < MIN_GROUP_SIZE}
    if len([key for key in small if n_ballots.get(key, 0)]) == 1:
        shown = sorted((n_ballots.get(key, 0), str(key)) for key in labels if key not in small)
        if shown:
            small.add(next(key for key in labels if str(key) == shown[0][1]))
    out = []
    for key, label in labels.items():
        n = n_ballots.get(key, 0)
        if key in small:
            out.append({"key": key, "label": label, "ballots": None, "hidden": True})
        else:
            out.append({"key": key, "label": label, "ballots": n, "hidden": False,
                        "ranking": _tally(consultation, counts.get(key, {}), n).ranking})
    return out


def _by_territory(consultation: Consultation) -> list[dict]:
    """Per sub-territory directly under the consultation's territory (home territory of the
    voter at the time of the vote; paper ballots have none)."""
    children = db.session.execute(select(Territory).where(Territory.parent_id == consultation.territory_id)
                                  .order_by(Territory.name)).scalars().all()
    if not children:
        return []
    inside = db.session.execute(select(Territory.id, Territory.path).where(
        Territory.path.startswith(consultation.territory.path))).all()
    child_of = {}
    for tid, path in inside:
        for child in children:
            if path.startswith(child.path):
                child_of[tid] = child.id
    if not child_of:
        return []
    group = case(child_of, value=Ballot.territory_id, else_=None)
    return _groups(consultation, group, {child.id: child.name for child in children})


def _by_age_band(consultation: Consultation) -> list[dict]:
    return _groups(consultation, Ballot.age_band, {band: band for band in AGE_BANDS})


def eligible_count(consultation: Consultation) -> int:
    return db.session.execute(
        select(func.count()).select_from(User).join(Territory, Territory.id == User.home_territory_id)
        .where(User.deleted_at.is_(None), Territory.path.startswith(consultation.territory.path))).scalar_one()


def _plain(value):
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def cache_is_fresh(consultation: Consultation, now: datetime | None = None) -> bool:
    """Whether ``results_for`` can answer from the cache without computing (and writing): lets
    a read-only request take the write lock only when it has to."""
    now = now or utcnow()
    phase = consultation.phase(now)
    computed = consultation.results_computed_at
    if not consultation.results_json or computed is None:
        return False
    if phase in (RESULTS, FOLLOW_UP):
        unsealed = consultation.secrecy == SECRET and consultation.ballots_sealed_at is None
        return computed >= consultation.vote_ends_at and not unsealed
    if phase == VOTE:
        return now - computed < LIVE_RESULTS_MAX_AGE and computed >= consultation.vote_starts_at
    return False


def results_for(consultation: Consultation, now: datetime | None = None) -> dict | None:
    """The cached results: computed once after the close (and kept), or at most every
    ``LIVE_RESULTS_MAX_AGE`` while a live vote runs. The caller commits."""
    now = now or utcnow()
    if consultation.phase(now) not in (VOTE, RESULTS, FOLLOW_UP):
        return None
    if not cache_is_fresh(consultation, now):
        if consultation.phase(now) in (RESULTS, FOLLOW_UP):
            seal_secret_ballots(consultation)
        data = compute(consultation, now)
        consultation.results_json = json.dumps(data, ensure_ascii=False)
        consultation.results_computed_at = now
        return data
    return json.loads(consultation.results_json)


def stored_results(consultation: Consultation) -> dict | None:
    """The results as last computed and stored, without counting anything (``refreshed`` is
    what makes them fresh first)."""
    return json.loads(consultation.results_json) if consultation.results_json else None


def refreshed(consultation: Consultation) -> Consultation:
    """The consultation with its cached results fresh (``results_for``). Pages that show results
    are reads (a deferred BEGIN on SQLite, so readers never queue behind voters): the tally that
    refreshes the cache runs in its own writing transaction, taken only when the cache is stale.
    Objects loaded before are expired when that happens."""
    if cache_is_fresh(consultation):
        return consultation
    consultation_id = consultation.id
    db.session.rollback()
    with write_intent():
        consultation = db.session.get(Consultation, consultation_id)
        results_for(consultation)
        db.session.commit()
    return consultation


# Recount ----------------------------------------------------------------------------------------

def marks_in_ballot_order(consultation_id: int):
    """The consultation's marks, ballot by ballot (read from ``ix_ballot_mark_ballots``, in its order)."""
    return (select(BallotMark.ballot_id, BallotMark.priority_id, BallotMark.value)
            .where(BallotMark.consultation_id == consultation_id).order_by(BallotMark.ballot_id))


def anonymised_ballots(consultation: Consultation) -> list:
    """Every counted ballot in the tally library's shape, shuffled: no voter, no time, no
    channel, no id. Read in batches (stream of marks ordered by ballot)."""
    rows = db.session.execute(marks_in_ballot_order(consultation.id)).yield_per(10_000)
    ballots: list = []
    current, marks = None, {}
    for ballot_id, pid, value in rows:
        if ballot_id != current:
            if current is not None:
                ballots.append(ballot_of(consultation.method, marks))
            current, marks = ballot_id, {}
        marks[str(pid)] = value
    if current is not None:
        ballots.append(ballot_of(consultation.method, marks))
    # Ballots without marks (a blank ranking, zero points, nothing graded) have no mark rows.
    blank = db.session.execute(select(func.count()).select_from(Ballot).where(
        Ballot.consultation_id == consultation.id, ~Ballot.id.in_(
            select(BallotMark.ballot_id).where(BallotMark.consultation_id == consultation.id)))).scalar_one()
    empty = [] if consultation.method in ("approval", "borda", "schulze") else {}
    ballots.extend([empty] * blank if consultation.method != "single" else [])
    random.SystemRandom().shuffle(ballots)
    return ballots


def export(consultation: Consultation) -> dict:
    """The recount file: method, candidates, options, shuffled ballots and the site's tally."""
    data = results_for(consultation) or compute(consultation)
    return {
        "consultation": consultation.title,
        "method": consultation.method,
        "candidates": [p.candidate_id for p in consultation.priorities],
        "candidate_titles": {p.candidate_id: p.title for p in consultation.priorities},
        "options": consultation.tally_options,
        "ballots": anonymised_ballots(consultation),
        "tally": {"ranking": data["result"]["ranking"], "ballots_counted": data["result"]["ballots_counted"]},
    }
