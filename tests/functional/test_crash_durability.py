"""No acknowledged ballot or complaint is lost, and none is recorded twice, when the server is
killed outright under load (issue 7, item 3). Runs on the suite's database: a SQLite file in WAL
mode, or PostgreSQL with TEST_DATABASE_URL.

gunicorn serves the app in its production configuration (``gunicorn -c gunicorn.conf.py
wsgi:app``, 2 sync workers, CSRF on) while client threads (``tests/support/crash.py``) confirm
ballots in an open secret majority-judgment consultation, each from a distinct signed-in voter,
and file complaints online as signed-in residents. ``CYCLES`` times, once the server has
acknowledged writes since it was last started, the whole process group (master and workers) is
sent SIGKILL mid-load; the server is started again on the same database, and before the load
resumes the database must hold

- every acknowledged ballot: the voter's participation, and as many ballots as participations,
  each with a grade for every priority (a ballot and its participation are one transaction);
- every acknowledged complaint, under the id its acknowledgement named, with its marker, its
  complainant, its reference and both steps of its timeline (received, acknowledged);
- nothing twice (one participation per voter, one complaint per filing) and nothing nobody sent;
- on SQLite, ``PRAGMA integrity_check`` = ok;

and the restarted server shows the last acknowledged complaint's reference to its complainant and
the last acknowledged voter's receipt. Ballots whose request was cut by a kill are sent again
after the restart (same voter, same ballot) and must still count once.
"""
from __future__ import annotations

import random
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.complaints import intake
from civicsante.complaints.models import ACKNOWLEDGED, Complaint, ComplaintEvent
from civicsante.consultations.models import Ballot, BallotMark, Participation
from civicsante.extensions import db
from tests.bench.bench_vote import signed_requests
from tests.support.consultations import make_consultation, priority_ids
from tests.support.crash import BallotClient, ComplaintClient, CrashServer, Ledger, Load, get
from tests.support.sessions import accounts_with_sessions

CYCLES = 20
PRIORITIES = 4
VOTERS = 4000  # more than the ballots 20 cycles acknowledge on 2 cores
BALLOT_CLIENTS = 3
COMPLAINANTS = 2
# Kill once this much was acknowledged since the start, then after a random 0-0.2 s more.
MIN_BALLOTS_PER_CYCLE, MIN_COMPLAINTS_PER_CYCLE = 5, 1
_MARKER = re.compile(r"\[(plaignant\d+-\d+)\]")


def _ids_by_email(app, prefix: str) -> list[int]:
    with app.app_context():
        return list(db.session.execute(select(User.id).where(User.email.like(f"{prefix}%@example.org"))
                                       .order_by(User.id)).scalars())


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _wait_for_acknowledgements(ledger: Ledger, load: Load, cycle: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        ballots, complaints = ledger.acknowledged_in(cycle)
        if ballots >= MIN_BALLOTS_PER_CYCLE and complaints >= MIN_COMPLAINTS_PER_CYCLE:
            return
        assert not load.errors, load.errors
        assert time.monotonic() < deadline, (f"cycle {cycle}: only {ballots} ballots and {complaints} "
                                             f"complaints acknowledged in 60 s; other answers: "
                                             f"{ledger.unexpected[:5]}")
        time.sleep(0.01)


def _check_database(app, consultation_id: int, establishment_id: int, ledger: Ledger,
                    voter_ids: list[int], cycle: int) -> dict:
    """Everything the server acknowledged is there, once; answers the figures."""
    with app.app_context():
        participations = Counter(db.session.execute(
            select(Participation.user_id).where(Participation.consultation_id == consultation_id)).scalars())
        ballots = db.session.execute(select(func.count()).select_from(Ballot)
                                     .where(Ballot.consultation_id == consultation_id)).scalar_one()
        marks_per_ballot = Counter(db.session.execute(
            select(func.count()).select_from(BallotMark).join(Ballot, Ballot.id == BallotMark.ballot_id)
            .where(Ballot.consultation_id == consultation_id).group_by(Ballot.id)).scalars())
        complaints = db.session.execute(
            select(Complaint.id, Complaint.reference, Complaint.facts, Complaint.complainant_id, Complaint.status)
            .where(Complaint.establishment_id == establishment_id)).all()
        steps = dict(db.session.execute(
            select(ComplaintEvent.complaint_id, func.count()).join(Complaint)
            .where(Complaint.establishment_id == establishment_id).group_by(ComplaintEvent.complaint_id)).all())
        db.session.remove()
    with ledger.lock:
        acknowledged_ballots = dict(ledger.ballots_acknowledged)
        sent_ballots = set(ledger.ballots_sent)
        acknowledged_complaints = dict(ledger.complaints_acknowledged)
        sent_complaints = set(ledger.complaints_sent)
    where = f"after kill {cycle}"

    index_of = {uid: i for i, uid in enumerate(voter_ids)}
    missing = [i for i in acknowledged_ballots if voter_ids[i] not in participations]
    assert not missing, f"{where}: {len(missing)} acknowledged ballots lost (voters {missing[:10]})"
    assert max(participations.values(), default=1) == 1, f"{where}: a voter participates twice"
    assert {index_of.get(uid) for uid in participations} <= sent_ballots, f"{where}: a vote nobody cast"
    assert ballots == len(participations), f"{where}: {ballots} ballots for {len(participations)} participations"
    assert set(marks_per_ballot) <= {PRIORITIES} and sum(marks_per_ballot.values()) == ballots, \
        f"{where}: ballots with another number of grades than {PRIORITIES}: {marks_per_ballot}"

    by_id = {row.id: row for row in complaints}
    markers = [m.group(1) if (m := _MARKER.search(row.facts)) else None for row in complaints]
    for marker, (complaint_id, resident, _cycle) in acknowledged_complaints.items():
        row = by_id.get(complaint_id)
        assert row is not None, f"{where}: acknowledged complaint {complaint_id} ({marker}) lost"
        assert f"[{marker}]" in row.facts and row.complainant_id == resident, (where, marker, row)
    assert None not in markers and len(set(markers)) == len(markers), \
        f"{where}: a filing recorded twice: {[m for m, n in Counter(markers).items() if n > 1]}"
    assert set(markers) <= sent_complaints, f"{where}: a complaint nobody filed"
    references = [row.reference for row in complaints]
    assert None not in references and len(set(references)) == len(references), f"{where}: references {references}"
    assert {row.status for row in complaints} <= {ACKNOWLEDGED}, f"{where}: a complaint not acknowledged"
    assert all(steps.get(row.id) == 2 for row in complaints), f"{where}: a complaint without its two steps"

    path = _sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if path is not None:
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], where
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",), where
        conn.close()
    return {"ballots": len(participations), "complaints": len(complaints),
            "cut_ballots_recorded": sum(voter_ids[i] in participations for i in sent_ballots
                                        if i not in acknowledged_ballots),
            "cut_complaints_recorded": sum(m not in acknowledged_complaints for m in markers)}


def _check_served_again(app, server: CrashServer, consultation_id: int, ledger: Ledger, credentials,
                        complainant_cookies: dict[int, str], cycle: int) -> None:
    """The restarted server answers from the same database: the last acknowledged voter's receipt,
    and the last acknowledged complaint's acknowledgement page with the reference it was given."""
    with ledger.lock:
        voter = max(ledger.ballots_acknowledged, key=lambda i: (ledger.ballots_acknowledged[i], i))
        complaint_id, resident, _cycle = max(ledger.complaints_acknowledged.values(),
                                             key=lambda ack: (ack[2], ack[0]))
    try:
        status, _page = get(server.port, f"/consultations/{consultation_id}/recu", credentials[voter][0])
        assert status == 200, f"after kill {cycle}: receipt of voter {voter} answered {status}"
        status, page = get(server.port, f"/reclamations/mes-reclamations/{complaint_id}/accuse-reception",
                           complainant_cookies[resident])
    except OSError as error:
        raise AssertionError(f"after kill {cycle}: the restarted server did not answer ({error!r}); "
                             f"its log ends with:\n{server.log_tail()}") from error
    assert status == 200, f"after kill {cycle}: acknowledgement of complaint {complaint_id} answered {status}"
    shown = re.search(r'id="complaint-reference">([^<]+)<', page)
    with app.app_context():
        reference = db.session.get(Complaint, complaint_id).reference
        db.session.remove()
    assert shown and shown.group(1) == reference, f"after kill {cycle}: complaint {complaint_id}"


def test_no_acknowledged_ballot_or_complaint_is_lost_or_doubled_across_20_kills(app, world, tmp_path,
                                                                                 heavy_test_slot):
    began = time.monotonic()
    consultation = make_consultation(app, territory_id=world.commune.id, phase="vote", method="majority_judgment",
                                     secrecy="secret", priorities=PRIORITIES)
    candidates = priority_ids(app, consultation.id)
    keys = accounts_with_sessions(app, VOTERS, prefix="crash", home_territory_id=world.commune.id)
    voter_ids = _ids_by_email(app, "crash")
    complainant_keys = accounts_with_sessions(app, COMPLAINANTS, prefix="plaignant",
                                              home_territory_id=world.commune.id)
    complainant_ids = _ids_by_email(app, "plaignant")
    credentials = signed_requests(app, keys)  # signed with the key the server is given below
    complainant_credentials = signed_requests(app, complainant_keys)

    ledger = Ledger()
    server = CrashServer(app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"], tmp_path / "gunicorn.log")
    load = Load(server, ledger)
    for n in range(BALLOT_CLIENTS):
        voters = [(i, *credentials[i]) for i in range(n, VOTERS, BALLOT_CLIENTS)]
        load.add(BallotClient(ledger, consultation.id, candidates, voters, seed=n))
    for n, (resident, (cookie, token)) in enumerate(zip(complainant_ids, complainant_credentials, strict=True)):
        load.add(ComplaintClient(ledger, resident, cookie, token, world.hospital.id, intake.paris_today(),
                                 name=f"plaignant{n}"))
    complainant_cookies = {resident: cookie for resident, (cookie, _t) in
                           zip(complainant_ids, complainant_credentials, strict=True)}
    rng = random.Random(7)
    killed, figures, restarts = [], [], []
    ready = time.monotonic()
    try:
        server.start()
        for cycle in range(1, CYCLES + 1):
            load.resume(cycle)
            _wait_for_acknowledgements(ledger, load, cycle)
            time.sleep(rng.uniform(0, 0.2))
            killed.append(server.kill())
            load.pause()
            restarted = time.monotonic()
            server.start()
            _check_served_again(app, server, consultation.id, ledger, credentials, complainant_cookies, cycle)
            restarts.append(time.monotonic() - restarted)
            figures.append(_check_database(app, consultation.id, world.hospital.id, ledger, voter_ids, cycle))
            assert ledger.cut_in(cycle) > 0, f"kill {cycle} cut no request in flight: not a kill under load"
    finally:
        load.stop()
        server.stop()
    elapsed = time.monotonic() - ready

    assert not load.errors, load.errors
    assert not ledger.unexpected, ledger.unexpected[:10]
    assert killed == [3] * CYCLES  # the master and its 2 workers, each time
    per_cycle = [ledger.acknowledged_in(c) for c in range(1, CYCLES + 1)]
    assert all(b >= MIN_BALLOTS_PER_CYCLE and c >= MIN_COMPLAINTS_PER_CYCLE for b, c in per_cycle)
    last = figures[-1]
    print(f"\n{CYCLES} kills in {elapsed:.1f} s (setup {ready - began:.1f} s, each restart "
          f"{min(restarts):.1f}-{max(restarts):.1f} s): "
          f"{len(ledger.ballots_acknowledged)} ballots and {len(ledger.complaints_acknowledged)} complaints "
          f"acknowledged; {last['ballots']} ballots and {last['complaints']} complaints recorded; "
          f"{len(ledger.cut)} requests cut in flight, of which {last['cut_ballots_recorded']} ballots and "
          f"{last['cut_complaints_recorded']} complaints recorded anyway")
