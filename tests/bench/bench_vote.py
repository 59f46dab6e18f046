"""Benchmark of the vote: the sustained ballots per second the vote endpoint accepts on SQLite
with 16 concurrent clients.

Builds a fresh SQLite database (real migrations) in a temporary folder with N eligible residents
already signed in (server-side session rows bulk inserted, as tests/support/sessions.py does: no
argon2 login per request) and one open majority-judgment consultation with 10 priorities; serves
it with gunicorn in its production configuration (``bench_needs_list.gunicorn_server``: CSRF on,
rate limits off); then 16 client threads POST distinct voters' ballots to
``/consultations/<id>/vote/confirmer`` (127.0.0.1 only) for a bounded time and count, and print
ballots/s, p50/p95/p99 latency and the errors. Afterwards the number of ballot rows must equal
the number of 303 answers.

    .venv/bin/python -m tests.bench.bench_vote                     # 20 s, 16 clients, 2 workers
    .venv/bin/python -m tests.bench.bench_vote --seconds 60 --workers 4 --voters 20000
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select

from tests.bench.bench_needs_list import SERVER_SECRET_KEY, Result, gunicorn_server

PRIORITIES = 10


def build(database_url: str, voters: int):
    """The database: a commune, ``voters`` signed-in residents, an open consultation. Answers the
    app (to sign cookies with the server's key), the consultation id and the candidate ids."""
    from flask_migrate import upgrade

    from civicsante import create_app
    from civicsante.extensions import db
    from tests.support.consultations import make_consultation, priority_ids
    from tests.support.factories import make_territory

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": False, "SECRET_KEY": SERVER_SECRET_KEY,
                      "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    from tests.support.sessions import accounts_with_sessions

    commune = make_territory(app, name="Bourg-le-Banc", kind="commune", code="99999")
    consultation = make_consultation(app, territory_id=commune.id, phase="vote", method="majority_judgment",
                                     secrecy="secret", priorities=PRIORITIES, title="Banc d'essai du vote")
    keys = accounts_with_sessions(app, voters, prefix="banc", home_territory_id=commune.id,
                                  age_bands=("25_34", "35_49", "50_64", "65_74"))
    with app.app_context():
        db.engine.dispose()
    return app, consultation.id, priority_ids(app, consultation.id), keys


class _SignedIn:
    """What ``login_user`` needs of an account: its session key (``User.get_id``) and that it is
    active."""
    is_active = True

    def __init__(self, key: str):
        self.key = key

    def get_id(self) -> str:
        return self.key


def signed_requests(app, keys: list[str]) -> list[tuple[str, str]]:
    """For each session key: the session cookie as the server would have set it after login, and
    the CSRF token of the ballot form (both signed with the server's secret)."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    name = app.config["SESSION_COOKIE_NAME"]
    serializer = app.session_interface.get_signing_serializer(app)
    out = []
    for key in keys:
        # From 127.0.0.1 without a User-Agent, as wrk and http.client send: login_user stores the
        # identifier of that address and agent (Flask-Login's session protection), as at a real
        # login, so that the server finds the session unchanged and sends no new cookie.
        with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            session.permanent = True  # as at login (auth.routes._start_session)
            login_user(_SignedIn(key))
            token = generate_csrf()
            out.append((f"{name}={serializer.dumps(dict(session))}", token))
    return out


def run(args) -> int:
    folder = tempfile.mkdtemp(prefix="civicsante-bench-vote-", dir="/tmp")
    try:
        return _run(f"sqlite:///{Path(folder) / 'vote.sqlite3'}", args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(database_url: str, args) -> int:
    began = time.perf_counter()
    app, consultation_id, candidates, keys = build(database_url, args.voters)
    credentials = signed_requests(app, keys)
    print(f"\n=== Vote (SQLite) — {args.voters} votants inscrits, {PRIORITIES} priorités, jugement "
          f"majoritaire ; données prêtes en {time.perf_counter() - began:.1f} s ===")
    path = f"/consultations/{consultation_id}/vote/confirmer"
    receipt = f"/consultations/{consultation_id}/recu"
    voters = iter(credentials)
    lock = threading.Lock()
    statuses: dict[int | str, int] = {}
    times_ms: list[float] = []
    accepted = 0

    def next_voter():
        with lock:
            return next(voters, None)

    def post(port: int, cookie: str, token: str, rng: random.Random) -> tuple[int | str, float]:
        body = urlencode({"csrf_token": token, **{f"grade-{cid}": rng.randrange(7) for cid in candidates}})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
        except OSError as error:
            return type(error).__name__, (time.perf_counter() - start) * 1000
        status = response.status
        if status == 303 and not (response.getheader("Location") or "").endswith(f"{receipt}?vote=enregistre"):
            status = "303 ailleurs"
        return status, (time.perf_counter() - start) * 1000

    with gunicorn_server(database_url, args.workers) as port:
        # Warm-up: one ballot per client (templates compiled, connections opened), not timed.
        warm_statuses: list[int | str] = []

        def warm_up(voter) -> None:
            status = post(port, *voter, random.Random(0))[0]
            with lock:
                warm_statuses.append(status)

        warm = [threading.Thread(target=warm_up, args=(v,)) for v in itertools.islice(voters, args.clients)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        warm_accepted = warm_statuses.count(303)
        for status in warm_statuses:
            if status != 303:
                statuses[status] = statuses.get(status, 0) + 1
        deadline = time.monotonic() + args.seconds

        def client(n: int) -> None:
            nonlocal accepted
            rng = random.Random(n)
            while time.monotonic() < deadline:
                voter = next_voter()
                if voter is None:
                    return
                status, elapsed = post(port, *voter, rng)
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    times_ms.append(elapsed)
                    accepted += status == 303

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started

    from civicsante.consultations.models import Ballot, BallotMark, Participation
    from civicsante.extensions import db

    with app.app_context():
        def count(model):
            return db.session.execute(select(func.count()).select_from(model)).scalar_one()

        ballots, participations, marks = count(Ballot), count(Participation), count(BallotMark)
        db.engine.dispose()
    result = Result("vote", times_ms, [])
    errors = sum(n for s, n in statuses.items() if s != 303)
    print(f"{args.clients} clients, gunicorn {args.workers} workers, {wall:.1f} s "
          f"(arrêt à {args.seconds:g} s ou quand tous les votants ont voté)")
    print(f"bulletins acceptés (303)  {accepted:>7}   soit {accepted / wall:.1f} bulletins/s")
    print(f"latence ms                p50 {result.percentile(50):.1f}   p95 {result.percentile(95):.1f}"
          f"   p99 {result.percentile(99):.1f}   max {max(times_ms):.1f}")
    print(f"erreurs                   {errors:>7}   {dict(sorted(statuses.items(), key=str))}")
    expected = accepted + warm_accepted
    print(f"vérification : {ballots} bulletins, {participations} participations, {marks} notes "
          f"pour {expected} réponses 303 (dont {warm_accepted} de chauffe)")
    ok = ballots == participations == expected and marks == ballots * PRIORITIES and errors == 0
    if not ok:
        print("ÉCHEC : le nombre de bulletins ne correspond pas aux réponses, ou des erreurs", file=sys.stderr)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=5000, help="signed-in residents (the most ballots cast)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the clients vote")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (as bench_needs_list)")
    args = parser.parse_args(argv)
    os.environ.setdefault("SECRET_KEY", SERVER_SECRET_KEY)
    sys.exit(run(args))


if __name__ == "__main__":
    main()
