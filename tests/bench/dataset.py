"""The benchmark's dataset, the size of a busy territory after a few years of use.

- 200 territories, 10,000 residents, 50,000 needs, 200,000 supports, 2,000 comments (with their
  status timelines and followers) — ``bench_needs_list.build_database``, by bulk inserts after
  the real migrations, so that the full-text indexes are there and filled by their triggers;
- one closed majority-judgment consultation over 10 priorities with 100,000 secret ballots
  (10,000 online from the residents, 90,000 paper ones in 90 validated batches), sealed as the
  close leaves them;
- one open majority-judgment consultation over 10 priorities on the whole region, where every
  resident may vote;
- a signed-in session for every resident (server-side session rows, as a login leaves them), so
  that the load can submit ballots from distinct voters without paying argon2 per request.

    .venv/bin/python -m tests.bench.dataset --database-url sqlite:////tmp/bench.sqlite3

On PostgreSQL the database given is emptied first (its ``public`` schema is dropped).
"""
from __future__ import annotations

import argparse
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert, select, text, update

from tests.bench.bench_needs_list import SERVER_SECRET_KEY, Sizes, _prepare_postgres, build_database

SIZES = Sizes(territories=200, residents=10_000, needs=50_000, supports=200_000, comments=2_000)
CLOSED_BALLOTS = 100_000
ONLINE_SHARE = 10_000  # the closed consultation's online ballots: one per resident
PRIORITIES = 10
GRADES = 7


@dataclass
class BenchData:
    database_url: str
    region_id: int = 0
    departement_id: int = 0
    commune_id: int = 0
    category_id: int = 0
    detail_ids: list[int] = field(default_factory=list)
    closed_id: int = 0
    open_id: int = 0
    open_priority_ids: list[str] = field(default_factory=list)
    session_keys: list[str] = field(default_factory=list)  # one per resident, in id order
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def bench_app(database_url: str):
    """The app on ``database_url`` signing cookies with the bench server's key."""
    from civicsante import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": False,
                       "SECRET_KEY": SERVER_SECRET_KEY, "SESSION_COOKIE_SECURE": False,
                       "RATELIMIT_ENABLED": False})


def build(database_url: str, seed: int = 2026) -> BenchData:
    """Create the whole dataset in an empty database (PostgreSQL: emptied first)."""
    from flask_migrate import upgrade

    from civicsante.extensions import db

    began = time.perf_counter()
    if database_url.startswith("postgresql"):
        database_url = _prepare_postgres(database_url, reset=True)
    app = bench_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    needs = build_database(app, SIZES, seed)
    data = BenchData(database_url, departement_id=needs.departement_id, commune_id=needs.commune_id,
                     category_id=needs.category_id, detail_ids=needs.detail_ids, counts=dict(needs.counts))
    rng = random.Random(seed + 1)
    _consultations(app, data, rng)
    data.session_keys = _sessions(app)
    data.counts["user_session"] = len(data.session_keys)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            # What `flask db-analyze` does after an import: the planner's statistics, without
            # which SQLite reads the needs list through the wrong index (migration 0008).
            from civicsante.db import analyze

            with db.engine.begin() as conn:
                analyze(conn)
        db.engine.dispose()
    data.seconds = time.perf_counter() - began
    return data


def _consultations(app, data: BenchData, rng: random.Random) -> None:
    from civicsante.accounts.models import User
    from civicsante.consultations.models import (
        ONLINE,
        PAPER,
        Ballot,
        BallotMark,
        Consultation,
        PaperBatch,
        Participation,
    )
    from civicsante.extensions import db
    from civicsante.reference.models import Territory
    from civicsante.types import utcnow
    from tests.support.consultations import make_consultation, priority_ids

    with app.app_context():
        data.region_id = db.session.execute(
            select(Territory.id).where(Territory.kind == "region")).scalar_one()
        residents = db.session.execute(select(User.id, User.home_territory_id).order_by(User.id)).all()
    closed = make_consultation(app, territory_id=data.region_id, phase="resultats", priorities=PRIORITIES,
                               title="Nos priorités de santé 2026 : le vote est clos")
    opened = make_consultation(app, territory_id=data.region_id, phase="vote", priorities=PRIORITIES,
                               title="Nos priorités de santé 2027 : votez")
    data.closed_id, data.open_id = closed.id, opened.id
    data.open_priority_ids = priority_ids(app, opened.id)
    candidates = [int(c) for c in priority_ids(app, closed.id)]
    # Each priority has its own appeal: grades drawn around a different mean.
    appeal = {c: rng.uniform(1.5, 4.5) for c in candidates}
    bands = ("18_24", "25_34", "35_49", "50_64", "65_74", "75_plus", None)
    now = utcnow()
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            batches = [{"id": i + 1, "consultation_id": closed.id, "entered_by_id": None,
                        "place": f"Urne n° {i + 1}", "collected_on": (closed.vote_ends_at - timedelta(days=1)).date(),
                        "declared_count": 1_000, "draft_json": "[]", "created_at": now, "validated_at": now}
                       for i in range((CLOSED_BALLOTS - ONLINE_SHARE) // 1_000)]
            conn.execute(insert(PaperBatch), batches)
            conn.execute(insert(Participation), [
                {"consultation_id": closed.id, "user_id": uid, "channel": ONLINE, "entered_by_id": None,
                 "receipt": secrets.token_hex(6)} for uid, _home in residents[:ONLINE_SHARE]])
            ballots, marks = [], []
            for i in range(CLOSED_BALLOTS):
                online = i < ONLINE_SHARE
                ballot_id = secrets.token_hex(16)
                ballots.append({"id": ballot_id, "consultation_id": closed.id,
                                "channel": ONLINE if online else PAPER,
                                "batch_id": None if online else 1 + (i - ONLINE_SHARE) // 1_000,
                                "voter_id": None, "territory_id": residents[i][1] if online else None,
                                "age_band": rng.choice(bands) if online else None, "updated_at": None})
                for c in candidates:
                    grade = min(GRADES - 1, max(0, round(rng.gauss(appeal[c], 1.6))))
                    marks.append((ballot_id, c, closed.id, grade))
            rng.shuffle(ballots)  # sealed: stored in no meaningful order
            conn.execute(insert(Ballot), ballots)
            _copy_or_insert(conn, BallotMark.__table__, ("ballot_id", "priority_id", "consultation_id", "value"),
                            marks)
            conn.execute(update(Consultation).where(Consultation.id == closed.id)
                         .values(ballots_sealed_at=closed.vote_ends_at))
        db.engine.dispose()
    data.counts.update({"consultation": 2, "ballot": CLOSED_BALLOTS, "ballot_mark": len(marks),
                        "participation": ONLINE_SHARE, "paper_batch": len(batches)})


def _copy_or_insert(conn, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows into ``table``: PostgreSQL's COPY (a million rows in seconds), else executemany."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    for start in range(0, len(rows), 50_000):
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows[start:start + 50_000]])


def _sessions(app) -> list[str]:
    """A signed-in session row for every resident; answers the keys in the residents' id order."""
    from civicsante.accounts.models import User, UserSession
    from civicsante.accounts.sessions import _hash
    from civicsante.extensions import db
    from civicsante.types import utcnow

    with app.app_context():
        ids = db.session.execute(select(User.id).where(User.email.like("habitant%@bench.example.org"))
                                 .order_by(User.id)).scalars().all()
        keys = [secrets.token_urlsafe(24) for _ in ids]
        now = utcnow()
        db.session.execute(insert(UserSession), [
            {"key_hash": _hash(key), "user_id": uid, "created_at": now, "expires_at": now + timedelta(days=365)}
            for key, uid in zip(keys, ids, strict=True)])
        db.session.commit()
        db.engine.dispose()
    return keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    data = build(args.database_url, args.seed)
    print(f"Données prêtes en {data.seconds:.1f} s : "
          + ", ".join(f"{v:,} {k}".replace(",", " ") for k, v in data.counts.items()))
    print(f"consultation close n° {data.closed_id}, ouverte n° {data.open_id}, "
          f"besoins à afficher : {data.detail_ids[:5]}…")


if __name__ == "__main__":
    main()
