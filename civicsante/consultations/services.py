"""Use cases of consultations: set up, build priorities, vote (online, assisted, on paper),
open and close phases, post the public follow-up.

Ballots travel in the shape the tally library reads (``civicsante.voting``), keyed by the
priorities' ``candidate_id``: single "12"; approval ["12", "14"]; borda / schulze ["14", "12"]
(best first, may be partial); points {"12": 3}; majority_judgment {"12": 5} (grade 0..G-1).
"""
from __future__ import annotations

import json
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from civicsante import audit, voting
from civicsante.accounts.models import User
from civicsante.cache import CONSULTATIONS, DataGeneration
from civicsante.consultations import policy
from civicsante.consultations.models import (
    ASSISTED,
    DEFAULT_GRADE_LABELS,
    METHODS,
    MILESTONE_STATUSES,
    ONLINE,
    OPEN,
    PAPER,
    PHASE_STARTS,
    PHASES,
    RANKED_METHODS,
    RESULTS,
    RESULTS_VISIBILITY,
    SECRECY,
    SECRET,
    VOTE,
    Ballot,
    BallotMark,
    Consultation,
    Milestone,
    PaperBatch,
    Participation,
    Priority,
    PriorityNeed,
    new_ballot_id,
)
from civicsante.db import take_write_lock
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs.models import Need, Notification, Support
from civicsante.needs.services import integrate_into_priority
from civicsante.reference.models import Territory
from civicsante.types import UTCDateTime, utcnow

TITLE_MAX = 150
MAX_PRIORITIES = 30
MAX_GRADES = 10
# A pile of identical paper ballots is typed once with its number of copies.
MAX_COPIES = 1000


class AlreadyVoted(DomainError):
    """One person, one vote."""


class ConsultationChanged(DomainError):
    """The ballot was checked against a ballot box (``ballot_box``) read under a generation of the
    consultations that has moved since: the consultation, its priorities or its territory changed,
    or its vote closed. Nothing was written; the ballot must be checked again."""


# Setting up -------------------------------------------------------------------------------------

def _check_settings(*, title: str, method: str, secrecy: str, results_visibility: str,
                    max_approvals: int | None, points_budget: int | None,
                    grade_labels: list[str] | None, dates: dict[str, datetime]) -> dict:
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Give the consultation a title."), "title")
    if len(title) > TITLE_MAX:
        raise DomainError(_l("The title is too long (150 characters at most)."), "title")
    if method not in METHODS:
        raise DomainError(_l("Choose a voting method."), "method")
    if secrecy not in SECRECY:
        raise DomainError(_l("Choose whether ballots are secret."), "secrecy")
    if results_visibility not in RESULTS_VISIBILITY:
        raise DomainError(_l("Choose when results are shown."), "results_visibility")
    if method == "points" and not (points_budget and points_budget >= 1):
        raise DomainError(_l("Give the number of points each voter shares out."), "points_budget")
    if max_approvals is not None and max_approvals < 1:
        raise DomainError(_l("The number of approvals must be at least 1."), "max_approvals")
    labels = [label.strip() for label in (grade_labels or []) if label and label.strip()]
    if method == "majority_judgment" and labels and not 2 <= len(labels) <= MAX_GRADES:
        raise DomainError(_l("Give between 2 and 10 grades, the worst first."), "grade_labels")
    order = [PHASE_STARTS[p] for p in PHASES[1:]]
    for key in order:
        if dates.get(key) is None:
            raise DomainError(_l("Give the date of every phase."), key)
    for earlier, later in zip(order, order[1:], strict=False):
        if dates[later] < dates[earlier] or (later == "vote_ends_at" and dates[later] <= dates[earlier]):
            raise DomainError(_l("Each phase must start after the previous one."), later)
    return {
        "title": title, "method": method, "secrecy": secrecy, "results_visibility": results_visibility,
        "max_approvals": max_approvals if method == "approval" else None,
        "points_budget": points_budget if method == "points" else None,
        "grade_labels_json": (json.dumps(labels, ensure_ascii=False)
                              if method == "majority_judgment" and labels else None),
        **{key: dates[key] for key in order},
    }


def create_consultation(by: User, *, territory_id: int | None, description: str = "",
                        **settings) -> Consultation:
    """A facilitator opens a consultation on their territory (or one inside it). Settings:
    title, method, secrecy, results_visibility, max_approvals, points_budget, grade_labels and
    the five phase dates (collect_starts_at … followup_starts_at)."""
    territory = db.session.get(Territory, territory_id) if territory_id else None
    if territory is None:
        raise DomainError(_l("Choose a territory."), "territory_id")
    if not policy.can_create_in(by, territory):
        raise NotAllowed(_l("You can only run consultations on the territories you facilitate."))
    values = _check_settings(**_settings_args(settings))
    consultation = Consultation(territory_id=territory.id, created_by_id=by.id,
                                description=(description or "").strip(), **values)
    consultation.territory = territory
    db.session.add(consultation)
    audit.record(by, "consultation.create", consultation)
    return consultation


def _settings_args(settings: dict) -> dict:
    dates = {key: settings.pop(key, None) for key in PHASE_STARTS.values()}
    return {"title": settings.get("title"), "method": settings.get("method"),
            "secrecy": settings.get("secrecy", SECRET),
            "results_visibility": settings.get("results_visibility"),
            "max_approvals": settings.get("max_approvals"), "points_budget": settings.get("points_budget"),
            "grade_labels": settings.get("grade_labels"), "dates": dates}


def update_consultation(consultation: Consultation, by: User, *, description: str = "",
                        **settings) -> None:
    """Change the text, dates and settings. Once the vote has opened, the method, its settings
    and the secrecy are frozen: changing them would change the meaning of ballots already cast."""
    if not policy.can_manage(by, consultation):
        raise NotAllowed(_l("Only a facilitator of this territory can change this consultation."))
    values = _check_settings(**_settings_args(settings))
    if PHASES.index(consultation.phase()) >= PHASES.index(VOTE) or _has_ballots(consultation):
        for frozen in ("method", "secrecy", "max_approvals", "points_budget", "grade_labels_json"):
            if values[frozen] != getattr(consultation, frozen):
                raise DomainError(_l("The voting method, its settings and the secrecy cannot change "
                                     "once the vote has opened."), "method")
    for key, value in values.items():
        setattr(consultation, key, value)
    consultation.description = (description or "").strip()
    consultation.results_json = consultation.results_computed_at = None
    audit.record(by, "consultation.update", consultation)


def _has_ballots(consultation: Consultation) -> bool:
    return db.session.execute(select(Ballot.id).where(Ballot.consultation_id == consultation.id)
                              .limit(1)).first() is not None


def start_phase_now(consultation: Consultation, phase: str, by: User, now: datetime | None = None) -> None:
    """Open ``phase`` by hand now (which closes the previous one): its start date, and those of
    earlier phases still in the future, move to now; later dates that would come before now move
    with it. Closing the vote by hand is opening the results."""
    if not policy.can_manage(by, consultation):
        raise NotAllowed(_l("Only a facilitator of this territory can open or close a phase."))
    if phase not in PHASE_STARTS:
        raise DomainError(_l("Unknown phase."), "phase")
    now = now or utcnow()
    if PHASES.index(phase) <= PHASES.index(consultation.phase(now)):
        raise DomainError(_l("This phase has already started."), "phase")
    # Later phases all start after now (else one of them would be the current phase).
    moved = {column: now for column in (PHASE_STARTS[p] for p in PHASES[1:PHASES.index(phase) + 1])
             if getattr(consultation, column) > now}
    # Checked before anything moves, so that a refusal leaves the consultation as it was.
    if moved.get("vote_ends_at", consultation.vote_ends_at) <= moved.get("vote_starts_at",
                                                                          consultation.vote_starts_at):
        raise DomainError(_l("Open the vote before closing it."), "phase")
    for column, value in moved.items():
        setattr(consultation, column, value)
    audit.record(by, "consultation.phase", consultation, phase=phase)


# Priorities -------------------------------------------------------------------------------------

def add_priority(consultation: Consultation, by: User, *, title: str, description: str = "",
                 need_ids: list[int] | None = None) -> Priority:
    """A candidate priority, written directly or built from needs of the territory. The needs
    it answers move to "intégré à une priorité" and their supporters are told. Priorities are
    settled before the vote: a list that changes during the vote would make ballots unequal."""
    if not policy.can_manage(by, consultation):
        raise NotAllowed(_l("Only a facilitator of this territory can add priorities."))
    if PHASES.index(consultation.phase()) >= PHASES.index(VOTE):
        raise DomainError(_l("Priorities can no longer change once the vote has opened."))
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Give the priority a short title."), "title")
    if len(title) > TITLE_MAX:
        raise DomainError(_l("The title is too long (150 characters at most)."), "title")
    if len(consultation.priorities) >= MAX_PRIORITIES:
        raise DomainError(_l("A consultation has at most 30 priorities."), "title")
    needs = _needs_of_territory(consultation, need_ids or [])
    priority = Priority(consultation_id=consultation.id, title=title,
                        description=(description or "").strip(), created_by_id=by.id,
                        position=len(consultation.priorities))
    consultation.priorities.append(priority)
    db.session.flush()
    for need in needs:
        db.session.add(PriorityNeed(priority_id=priority.id, need_id=need.id))
        integrate_into_priority(need, by, priority_title=title, consultation_title=consultation.title)
    audit.record(by, "priority.create", priority, needs=[n.id for n in needs])
    return priority


def _needs_of_territory(consultation: Consultation, need_ids: list[int]) -> list[Need]:
    if not need_ids:
        return []
    needs = db.session.execute(select(Need).where(Need.id.in_(need_ids))).scalars().all()
    path = consultation.territory.path
    if len(needs) != len(set(need_ids)) or any(
            n.hidden or n.merged_into_id is not None or not n.territory.path.startswith(path) for n in needs):
        raise DomainError(_l("Choose visible needs of the consultation's territory."), "need_ids")
    return sorted(needs, key=lambda n: n.id)


def remove_priority(priority: Priority, by: User) -> None:
    consultation = priority.consultation
    if not policy.can_manage(by, consultation):
        raise NotAllowed(_l("Only a facilitator of this territory can remove priorities."))
    if PHASES.index(consultation.phase()) >= PHASES.index(VOTE):
        raise DomainError(_l("Priorities can no longer change once the vote has opened."))
    audit.record(by, "priority.delete", priority)
    consultation.priorities.remove(priority)


def needs_of(priority_ids: list[int]) -> dict[int, list[Need]]:
    """The needs behind each priority, in one query."""
    rows = db.session.execute(select(PriorityNeed.priority_id, Need).join(Need, Need.id == PriorityNeed.need_id)
                              .where(PriorityNeed.priority_id.in_(priority_ids))
                              .order_by(Need.id)).all() if priority_ids else []
    found: dict[int, list[Need]] = {pid: [] for pid in priority_ids}
    for pid, need in rows:
        found[pid].append(need)
    return found


# Ballots ----------------------------------------------------------------------------------------

def candidates(consultation: Consultation) -> list[str]:
    return [p.candidate_id for p in consultation.priorities]


def grade_count(consultation: Consultation) -> int:
    """The number of grades of a majority-judgment consultation, without translating the
    default labels (``Consultation.grade_labels`` does, which checking a ballot has no use for)."""
    if consultation.grade_labels_json:
        return len(json.loads(consultation.grade_labels_json))
    return len(DEFAULT_GRADE_LABELS)


def check_ballot(consultation: Consultation, ballot) -> None:
    """Refuse a ballot the tally would refuse (unknown priority, duplicate rank, points over
    the budget, grade out of range…), with a French message."""
    options = ({"grades": grade_count(consultation)} if consultation.method == "majority_judgment"
               else consultation.tally_options)
    try:
        voting.aggregate(consultation.method, candidates(consultation), [ballot], **options)
    except voting.InvalidBallot as error:
        raise DomainError(_l("This ballot cannot be counted: %(reason)s", reason=error.reason),
                          "ballot") from None


def marks_of(method: str, ballot) -> dict[str, int]:
    """The stored values of a ballot (see ``BallotMark``)."""
    if method == "single":
        return {ballot: 1}
    if method == "approval":
        return dict.fromkeys(ballot, 1)
    if method in RANKED_METHODS:
        return {cid: rank for rank, cid in enumerate(ballot, start=1)}
    if method == "points":
        return {cid: value for cid, value in ballot.items() if value}
    return dict(ballot)  # majority judgment: the grades given


def ballot_of(method: str, marks: dict[str, int]):
    """Inverse of ``marks_of``: the ballot in the tally library's shape."""
    if method == "single":
        return next(iter(marks))
    if method == "approval":
        return sorted(marks, key=int)
    if method in RANKED_METHODS:
        return [cid for cid, _rank in sorted(marks.items(), key=lambda kv: kv[1])]
    return dict(sorted(marks.items(), key=lambda kv: int(kv[0])))


def _ballot_row(consultation: Consultation, *, channel: str, voter: User | None = None,
                batch_id: int | None = None, keep_voter: bool = False) -> dict:
    """The ballot row's values (Core inserts: no ORM flush per ballot)."""
    return {"id": new_ballot_id(), "consultation_id": consultation.id, "channel": channel,
            "batch_id": batch_id, "voter_id": voter.id if voter is not None and keep_voter else None,
            "territory_id": voter.home_territory_id if voter is not None else None,
            "age_band": voter.age_band if voter is not None else None,
            "updated_at": utcnow() if keep_voter else None}


def _mark_rows(consultation: Consultation, ballot_id: str, ballot) -> list[dict]:
    return [{"ballot_id": ballot_id, "priority_id": int(cid), "consultation_id": consultation.id,
             "value": value} for cid, value in marks_of(consultation.method, ballot).items()]


def _store_ballot(consultation: Consultation, ballot, *, channel: str, voter: User | None = None,
                  batch_id: int | None = None, keep_voter: bool = False) -> str:
    """Store one ballot and its marks; answers the ballot's id."""
    row = _ballot_row(consultation, channel=channel, voter=voter, batch_id=batch_id, keep_voter=keep_voter)
    _insert_ballots([row], _mark_rows(consultation, row["id"], ballot))
    return row["id"]


_INSERT_BALLOT = insert(Ballot.__table__)
_INSERT_MARKS = insert(BallotMark.__table__)


def _insert_ballots(rows: list[dict], marks: list[dict]) -> None:
    """One INSERT for the ballots and one executemany for their marks."""
    if rows:  # one row: a plain execute (a list goes through executemany)
        db.session.execute(_INSERT_BALLOT, rows[0] if len(rows) == 1 else rows)
    if marks:
        db.session.execute(_INSERT_MARKS, marks)


def _receipt() -> str:
    code = secrets.token_hex(4).upper()
    return f"{code[:4]}-{code[4:]}"


def cast_ballot(consultation: Consultation, voter: User, ballot, *, entered_by: User | None = None,
                now: datetime | None = None) -> Participation:
    """One person, one vote, during the vote phase, for residents of the territory.

    The participation row (primary key: consultation, person) is written in the same
    transaction as the ballot, so two submissions at once give one ballot and a clean refusal.
    Secret: the ballot row has no voter, no time, a random id, and cannot be changed. Open: the
    voter may change their ballot until the close. ``entered_by``: a facilitator entering the
    ballot on behalf of the named person (assisted), audit-logged.

    Everything is read and checked first; the write lock (``take_write_lock``) is then held only
    for the inserts, which re-check in SQL what a concurrent request may have changed since: the
    participation primary key (one vote) and the vote dates (a close by hand)."""
    if entered_by is not None and not policy.can_manage(entered_by, consultation):
        raise NotAllowed(_l("You can only enter ballots for the consultations you run."))
    now = now or utcnow()
    if consultation.phase(now) != VOTE:
        raise DomainError(_l("The vote is not open."))
    if not policy.is_eligible(voter, consultation):
        raise NotAllowed(_l("Only residents of the consultation's territory can vote."))
    check_ballot(consultation, ballot)
    if consultation.secrecy == OPEN and entered_by is None:  # an open ballot may be changed
        existing = db.session.get(Participation, (consultation.id, voter.id))
        if existing is not None:
            if existing.channel == ONLINE:
                return _change_open_ballot(consultation, voter, ballot, existing, now)
            raise AlreadyVoted(_l("Your vote has already been recorded."))
    # Otherwise a second vote is refused by the participation's primary key (IntegrityError
    # below), without a query to look for it first.
    channel = ASSISTED if entered_by is not None else ONLINE
    participation = Participation(consultation_id=consultation.id, user_id=voter.id, channel=channel,
                                  entered_by_id=entered_by.id if entered_by else None, receipt=_receipt())
    row = _ballot_row(consultation, channel=channel, voter=voter, keep_voter=consultation.secrecy == OPEN)
    marks = _mark_rows(consultation, row["id"], ballot)
    take_write_lock(db.session)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    try:
        if postgresql:  # the three inserts in one statement: one round trip instead of three
            written = db.session.execute(_CAST_BALLOT_PG, _cast_ballot_pg_values(consultation, participation, row, marks, now)).first()
        else:
            written = db.session.execute(*_insert_participation_while_open(consultation, participation, now)).first()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyVoted(_l("Your vote has already been recorded.")) from None
    if written is None:
        raise _not_written(consultation)
    if not postgresql:
        _insert_ballots([row], marks)
    if entered_by is not None:
        audit.record(entered_by, "ballot.assisted", consultation, person_id=voter.id)
    return participation


# The consultations' generation still has the value the ballot box was read under (``:generation``;
# NULL: the ballot was checked against the model, loaded in this transaction, and nothing is compared).
_UNCHANGED = or_(bindparam("generation", type_=BigInteger()).is_(None), select(DataGeneration.value).where(
    DataGeneration.name == CONSULTATIONS, DataGeneration.value == bindparam("generation", type_=BigInteger()))
    .exists())


def _generation_checked(consultation) -> int | None:
    """The generation the ballot box was read under; None for the model (``Consultation``)."""
    return getattr(consultation, "generation", None)


def _not_written(consultation) -> DomainError:
    """Why an INSERT … SELECT of the participation wrote nothing, when it was not a second vote."""
    if _generation_checked(consultation) is not None:
        return ConsultationChanged(_l("The consultation changed while you were voting: check your ballot "
                                      "and confirm it again."))
    return DomainError(_l("The vote is not open."))


def _insert_participation_while_open_statement():
    """INSERT the participation row only if the consultation's vote is still open at ``now``
    (the same rule as ``Consultation.phase``) and the consultation has not changed since the
    ballot box was read (``_UNCHANGED``), in the statement itself: no SELECT under the lock.
    RETURNING tells whether the row was written (psycopg gives no rowcount for INSERT … SELECT).
    Built once with bound parameters (every ballot runs it)."""
    def typed(name, type_):
        return cast(bindparam(name, type_=type_), type_)  # PostgreSQL reads an untyped NULL as text

    columns = ("consultation_id", "user_id", "channel", "entered_by_id", "receipt")
    values = select(*(typed(name, type_) for name, type_ in zip(
        columns, (Integer(), Integer(), String(), Integer(), String()), strict=True))).where(
        Consultation.id == bindparam("consultation_id"), Consultation.vote_starts_at <= bindparam("now"),
        Consultation.vote_ends_at > bindparam("now"), _UNCHANGED)
    table = Participation.__table__
    return insert(table).from_select(columns, values).returning(table.c.user_id)


_INSERT_PARTICIPATION_WHILE_OPEN = _insert_participation_while_open_statement()


def _insert_participation_while_open(consultation, participation: Participation, now: datetime):
    """The statement and its values: ``session.execute(*_insert_participation_while_open(…))``."""
    return _INSERT_PARTICIPATION_WHILE_OPEN, {
        "consultation_id": participation.consultation_id, "user_id": participation.user_id,
        "channel": participation.channel, "entered_by_id": participation.entered_by_id,
        "receipt": participation.receipt, "now": now, "generation": _generation_checked(consultation)}


# PostgreSQL: the participation, the ballot and its marks written by one statement (data-modifying
# CTEs run once each, to completion, whether or not the final SELECT reads them). The ballot is
# inserted from the participation's RETURNING and the marks from the ballot's, so when the vote is
# closed at ``now`` none of the three is written and the statement answers no row; a second vote
# fails on the participation's primary key and writes nothing either.
_CAST_BALLOT_PG = text("""
WITH p AS (
  INSERT INTO participation (consultation_id, user_id, channel, entered_by_id, receipt)
  SELECT consultation.id, CAST(:user_id AS INTEGER), CAST(:channel AS VARCHAR),
    CAST(:entered_by_id AS INTEGER), CAST(:receipt AS VARCHAR) FROM consultation
  WHERE consultation.id = CAST(:consultation_id AS INTEGER)
    AND consultation.vote_starts_at <= CAST(:now AS TIMESTAMP WITH TIME ZONE)
    AND consultation.vote_ends_at > CAST(:now AS TIMESTAMP WITH TIME ZONE)
    AND (CAST(:generation AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM data_generation
      WHERE data_generation.name = 'consultations' AND data_generation.value = CAST(:generation AS BIGINT)))
  RETURNING consultation_id),
b AS (
  INSERT INTO ballot (id, consultation_id, channel, batch_id, voter_id, territory_id, age_band, updated_at)
  SELECT CAST(:ballot_id AS VARCHAR), p.consultation_id, CAST(:channel AS VARCHAR), NULL,
    CAST(:voter_id AS INTEGER), CAST(:territory_id AS INTEGER), CAST(:age_band AS VARCHAR),
    CAST(:updated_at AS TIMESTAMP WITH TIME ZONE) FROM p
  RETURNING id, consultation_id),
m AS (
  INSERT INTO ballot_mark (ballot_id, priority_id, consultation_id, value)
  SELECT b.id, mark.priority_id, b.consultation_id, mark.value
  FROM b, unnest(CAST(:priority_ids AS INTEGER[]), CAST(:mark_values AS INTEGER[])) AS mark (priority_id, value))
SELECT consultation_id FROM p
""").bindparams(
    bindparam("consultation_id", type_=Integer()), bindparam("user_id", type_=Integer()),
    bindparam("channel", type_=String()), bindparam("entered_by_id", type_=Integer()),
    bindparam("receipt", type_=String()), bindparam("now", type_=UTCDateTime()),
    bindparam("ballot_id", type_=String()), bindparam("voter_id", type_=Integer()),
    bindparam("territory_id", type_=Integer()), bindparam("age_band", type_=String()),
    bindparam("updated_at", type_=UTCDateTime()), bindparam("generation", type_=BigInteger()),
    bindparam("priority_ids", type_=ARRAY(Integer())), bindparam("mark_values", type_=ARRAY(Integer())))


def _cast_ballot_pg_values(consultation, participation: Participation, row: dict, marks: list[dict],
                           now: datetime) -> dict:
    return {"consultation_id": participation.consultation_id, "user_id": participation.user_id,
            "generation": _generation_checked(consultation),
            "channel": participation.channel, "entered_by_id": participation.entered_by_id,
            "receipt": participation.receipt, "now": now, "ballot_id": row["id"], "voter_id": row["voter_id"],
            "territory_id": row["territory_id"], "age_band": row["age_band"], "updated_at": row["updated_at"],
            "priority_ids": [mark["priority_id"] for mark in marks], "mark_values": [mark["value"] for mark in marks]}


def _change_open_ballot(consultation: Consultation, voter: User, ballot, participation,
                        now: datetime) -> Participation:
    """Replace the marks of the voter's open ballot, unless the vote closed since it was read."""
    ballot_id = db.session.execute(select(Ballot.id).where(
        Ballot.consultation_id == consultation.id, Ballot.voter_id == voter.id)).scalar_one()
    marks = _mark_rows(consultation, ballot_id, ballot)
    still_open = select(Consultation.id).where(Consultation.id == consultation.id,
                                               Consultation.vote_ends_at > now, _UNCHANGED).exists()
    take_write_lock(db.session)
    changed = db.session.execute(
        update(Ballot).where(Ballot.id == ballot_id, still_open).values(updated_at=utcnow())
        .returning(Ballot.id).execution_options(synchronize_session=False),
        {"generation": _generation_checked(consultation)}).first()
    if changed is None:
        raise _not_written(consultation)
    db.session.execute(delete(BallotMark).where(BallotMark.ballot_id == ballot_id))
    db.session.execute(insert(BallotMark.__table__), marks)
    return participation


def participation_of(consultation: Consultation, user) -> Participation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.get(Participation, (consultation.id, user.id))


def open_ballot_of(consultation: Consultation, user):
    """The voter's own ballot in an open consultation (to show or change it); None if secret."""
    if consultation.secrecy != OPEN or not getattr(user, "is_authenticated", False):
        return None
    row = db.session.execute(select(Ballot).where(Ballot.consultation_id == consultation.id,
                                                  Ballot.voter_id == user.id)).scalar_one_or_none()
    if row is None:
        return None
    marks = dict(db.session.execute(select(BallotMark.priority_id, BallotMark.value)
                                    .where(BallotMark.ballot_id == row.id)).all())
    return ballot_of(consultation.method, {str(k): v for k, v in marks.items()}) if marks else None


# Paper ballots ----------------------------------------------------------------------------------

def open_paper_batch(consultation: Consultation, by: User, *, place: str, collected_on: date | None,
                     declared_count: int | None) -> PaperBatch:
    """A facilitator starts typing a batch of paper ballots: where they were collected, when,
    and how many the box held. The batch counts once validated (``validate_paper_batch``)."""
    if not policy.can_manage(by, consultation):
        raise NotAllowed(_l("You can only enter ballots for the consultations you run."))
    if consultation.phase() != VOTE:
        raise DomainError(_l("Paper ballots are entered while the vote is open."))
    place = (place or "").strip()
    if not place:
        raise DomainError(_l("Say where the ballots were collected."), "place")
    if collected_on is None:
        raise DomainError(_l("Give the date the ballots were collected."), "collected_on")
    if collected_on > utcnow().date():
        raise DomainError(_l("The collection date cannot be in the future."), "collected_on")
    if not declared_count or declared_count < 1:
        raise DomainError(_l("Give the number of ballots in the batch."), "declared_count")
    batch = PaperBatch(consultation_id=consultation.id, entered_by_id=by.id, place=place[:200],
                       collected_on=collected_on, declared_count=declared_count)
    db.session.add(batch)
    audit.record(by, "paper_batch.open", batch, consultation_id=consultation.id,
                 declared_count=declared_count)
    return batch


def _editable_batch(batch: PaperBatch, by: User) -> Consultation:
    consultation = db.session.get(Consultation, batch.consultation_id)
    if not policy.can_manage(by, consultation):
        raise NotAllowed(_l("You can only enter ballots for the consultations you run."))
    if batch.validated_at is not None:
        raise DomainError(_l("This batch is validated: it can no longer change."))
    if consultation.phase() != VOTE:
        raise DomainError(_l("Paper ballots are entered while the vote is open."))
    return consultation


def add_paper_ballot(batch: PaperBatch, by: User, ballot, copies: int = 1) -> None:
    """Type one paper ballot, or a pile of ``copies`` identical ones, into an open batch."""
    consultation = _editable_batch(batch, by)
    if not 1 <= copies <= MAX_COPIES:
        raise DomainError(_l("The number of identical ballots must be between 1 and 1000."), "copies")
    check_ballot(consultation, ballot)
    draft = batch.draft
    if len(draft) + copies > batch.declared_count:
        raise DomainError(_l("The batch would hold more ballots than declared (%(count)s).",
                             count=batch.declared_count), "copies")
    batch.draft_json = json.dumps(draft + [ballot] * copies, ensure_ascii=False)
    audit.record(by, "paper_batch.ballot", batch, copies=copies)


def remove_last_paper_ballot(batch: PaperBatch, by: User) -> None:
    """Undo a typing mistake: the last ballot typed into an open batch is removed."""
    _editable_batch(batch, by)
    draft = batch.draft
    if not draft:
        raise DomainError(_l("The batch is empty."))
    batch.draft_json = json.dumps(draft[:-1], ensure_ascii=False)
    audit.record(by, "paper_batch.ballot_removed", batch)


def validate_paper_batch(batch: PaperBatch, by: User) -> int:
    """Count the batch: it must hold exactly the declared number of ballots. Its ballots are
    then stored like the others (channel "papier") and the batch is locked."""
    consultation = _editable_batch(batch, by)
    draft = batch.draft
    if len(draft) != batch.declared_count:
        raise DomainError(_l("%(typed)s ballots typed for %(count)s declared: finish typing or correct "
                             "the batch.", typed=len(draft), count=batch.declared_count))
    rows, marks = [], []
    for ballot in draft:
        check_ballot(consultation, ballot)
        rows.append(_ballot_row(consultation, channel=PAPER, batch_id=batch.id))
        marks.extend(_mark_rows(consultation, rows[-1]["id"], ballot))
    _insert_ballots(rows, marks)
    batch.validated_at = utcnow()
    audit.record(by, "paper_batch.validate", batch, ballots=len(draft))
    return len(draft)


# Follow-up --------------------------------------------------------------------------------------

def post_milestone(priority: Priority, by: User, *, happened_on: date | None, text: str, status: str,
                   progress: int | None, reason: str | None = None) -> Milestone:
    """A step of the public follow-up of a priority (after the vote). Everyone who voted in the
    consultation, and everyone who supported a need behind the priority, is told."""
    consultation = priority.consultation
    if not policy.can_manage(by, consultation):
        raise NotAllowed(_l("Only a facilitator of this territory can post the follow-up."))
    if PHASES.index(consultation.phase()) < PHASES.index(RESULTS):
        raise DomainError(_l("The follow-up starts once the vote is closed."))
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Say what was done."), "text")
    if status not in MILESTONE_STATUSES:
        raise DomainError(_l("Choose a status."), "status")
    reason = (reason or "").strip() or None
    if status == "abandonne" and not reason:
        raise DomainError(_l("Explain publicly why the priority is abandoned."), "reason")
    if progress is None or not 0 <= progress <= 100:
        raise DomainError(_l("The progress is a percentage between 0 and 100."), "progress")
    if happened_on is None:
        raise DomainError(_l("Give the date of this step."), "happened_on")
    milestone = Milestone(priority_id=priority.id, happened_on=happened_on, text=text, status=status,
                          reason=reason, progress=100 if status == "realise" else progress, by_id=by.id)
    db.session.add(milestone)
    audit.record(by, "priority.milestone", priority, status=status)
    notify_priority_followers(priority, {"status": status, "progress": milestone.progress,
                                         "consultation_id": consultation.id, "priority_id": priority.id})
    return milestone


def milestones_of(priority_ids: list[int]) -> dict[int, list[Milestone]]:
    rows = db.session.execute(select(Milestone).where(Milestone.priority_id.in_(priority_ids))
                              .order_by(Milestone.happened_on, Milestone.id)).scalars().all() if priority_ids else []
    found: dict[int, list[Milestone]] = {pid: [] for pid in priority_ids}
    for milestone in rows:
        found[milestone.priority_id].append(milestone)
    return found


def people_to_tell(priority: Priority) -> list[int]:
    """Voters of the consultation (participation only: nothing of their ballot) and supporters
    of the needs behind the priority, each once."""
    voters = select(Participation.user_id).where(Participation.consultation_id == priority.consultation_id)
    supporters = (select(Support.user_id).join(PriorityNeed, PriorityNeed.need_id == Support.need_id)
                  .where(PriorityNeed.priority_id == priority.id, Support.user_id.is_not(None)))
    ids = set(db.session.execute(voters).scalars()) | set(db.session.execute(supporters).scalars())
    active = db.session.execute(select(User.id).where(User.id.in_(ids), User.deleted_at.is_(None))).scalars() \
        if ids else []
    return sorted(active)


def notify_priority_followers(priority: Priority, detail: dict) -> int:
    """In-app notifications (e-mailed by the notifications module per each person's choice)."""
    payload = json.dumps({"title": priority.title, **detail}, ensure_ascii=False, default=str)
    people = people_to_tell(priority)
    db.session.add_all(Notification(user_id=uid, kind="milestone", detail=payload) for uid in people)
    return len(people)


# Listing ----------------------------------------------------------------------------------------

def consultations_query(territory_id: int | None = None, phase: str | None = None,
                        now: datetime | None = None):
    """Consultations, the ones whose vote ends last first; within a territory and its inside;
    in ``phase`` at ``now`` (the same rule as ``Consultation.phase``, written in SQL)."""
    query = select(Consultation).order_by(Consultation.vote_ends_at.desc(), Consultation.id.desc())
    if territory_id:
        territory = db.session.get(Territory, territory_id)
        if territory is not None:
            query = query.join(Territory, Territory.id == Consultation.territory_id).where(
                Territory.path.startswith(territory.path))
    if phase in PHASES:
        now = now or utcnow()
        index = PHASES.index(phase)
        if index > 0:
            query = query.where(getattr(Consultation, PHASE_STARTS[phase]) <= now)
        if index + 1 < len(PHASES):
            query = query.where(getattr(Consultation, PHASE_STARTS[PHASES[index + 1]]) > now)
    return query


def phases_timeline(consultation: Consultation, now: datetime | None = None) -> list[dict]:
    """Each phase with its start and end, and whether it is past, current or to come."""
    current = consultation.phase(now)
    starts = [getattr(consultation, PHASE_STARTS[p]) for p in PHASES[1:]]
    out = []
    for i, phase in enumerate(PHASES[1:]):
        out.append({"phase": phase, "starts_at": starts[i], "ends_at": starts[i + 1] if i + 1 < len(starts) else None,
                    "state": ("current" if phase == current else
                              "past" if PHASES.index(phase) < PHASES.index(current) else "future")})
    return out

