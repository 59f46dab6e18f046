"""Rate limits hold across gunicorn's workers only when their counters live in Redis.

gunicorn runs the production settings file (``gunicorn -c gunicorn.conf.py wsgi:app``, 2 sync
workers) on a SQLite file of its own, with the login limit set to ``LIMIT`` attempts a minute.
To know which worker answers, one connection is opened first and its request left unfinished:
the sync worker that accepted it waits for the rest, so the next ``LIMIT`` attempts are all
served by the other worker; then the held request is completed, the (LIMIT+1)th attempt, served
by the first worker. gunicorn's access log records the process of every answer, which checks
that this is so.

The SQLite and the PostgreSQL passes of ``make test`` run side by side against the same Redis:
each server counts under a key prefix of its own.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask_migrate import upgrade

from civicsante import create_app
from civicsante.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LIMIT = 4
WRONG_LOGIN = {"email": "personne@example.org", "password": "pas le bon mot de passe"}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


pytestmark = pytest.mark.skipif(not _redis_answers(),
                                reason="Redis does not answer on 127.0.0.1:6379")


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    """A migrated SQLite file for the servers of this module, whatever the suite's database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ratelimit') / 'civicsante.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


class Server:
    """gunicorn with gunicorn.conf.py, the rate limits on, an access log naming each answer's
    process (``<pid> status``)."""

    def __init__(self, sqlite_url: str, folder: Path, storage_uri: str, workers: int):
        self.port = _free_port()
        self.access_log, self.error_log = folder / "access.log", folder / "error.log"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GUNICORN_", "RATELIMIT_", "MAIL_", "WEB_CONCURRENCY"))}
        env.update({
            "CIVICSANTE_ENV": "production", "SECRET_KEY": "rate-limit-test", "DATABASE_URL": sqlite_url,
            "SESSION_COOKIE_SECURE": "0", "MAIL_BACKEND": "console",
            "WEB_CONCURRENCY": str(workers), "GUNICORN_WORKER_CLASS": "sync",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_ACCESS_LOG": str(self.access_log),
            "GUNICORN_CMD_ARGS": "--access-logformat '%(p)s %(s)s %(m)s %(U)s'",
            "RATELIMIT_ENABLED": "1", "RATELIMIT_LOGIN": f"{LIMIT} per minute",
            "RATELIMIT_STORAGE_URI": storage_uri,
            "RATELIMIT_KEY_PREFIX": f"civicsante-test-{uuid.uuid4().hex}",
        })
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.error_log, "wb") as log:
            self.process = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
                                            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_for_workers(workers)

    def _wait_for_workers(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while self.error_log.read_text().count("Booting worker") < workers or not self._answers():
            assert self.process.poll() is None and time.monotonic() < deadline, self.error_log.read_text()
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def served_by(self) -> list[tuple[str, str]]:
        """(process, status) of each login attempt, in the order answered."""
        lines = self.access_log.read_text().splitlines()
        return [(pid, status) for pid, status, method, path in (line.split() for line in lines)
                if method == "POST" and path == "/connexion"]


class Visitor:
    """An anonymous browser: one session cookie and its CSRF token, a new connection each time
    (sync workers close the connection after each answer)."""

    def __init__(self, port: int):
        self.port = port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/connexion")
        response = conn.getresponse()
        page = response.read().decode()
        conn.close()
        assert response.status == 200
        self.cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        self.body = urlencode({**WRONG_LOGIN, "csrf_token": _CSRF.search(page).group(1)}).encode()

    def _head(self) -> bytes:
        return (f"POST /connexion HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nCookie: {self.cookie}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(self.body)}\r\n"
                "Connection: close\r\n\r\n").encode()

    def attempt(self) -> tuple[int, str]:
        return self.finish(self.hold())

    def hold(self) -> socket.socket:
        """A connection with the attempt's headers sent but for the blank line that ends them: the
        worker that accepts it waits in gunicorn's parser, before the app runs, and serves nobody
        else meanwhile."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(self._head()[:-2])
        return sock

    def finish(self, sock: socket.socket) -> tuple[int, str]:
        sock.sendall(self._head()[-2:] + self.body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        page = response.read().decode()
        sock.close()
        return response.status, page


def _attempts_across_both_workers(server: Server) -> tuple[int, str]:
    """LIMIT attempts served by one worker, then the (LIMIT+1)th by the other; its answer."""
    visitor = Visitor(server.port)
    held = visitor.hold()
    time.sleep(0.5)  # one worker accepts the held connection and waits on it
    for _ in range(LIMIT):
        status, _page = visitor.attempt()
        assert status == 422  # a wrong password, refused as such: within the limit
    status, page = visitor.finish(held)
    server.stop()  # gunicorn has written every access-log line
    answers = server.served_by()
    assert len(answers) == LIMIT + 1
    first_pids = {pid for pid, _status in answers[:LIMIT]}
    last_pid = answers[-1][0]
    assert len(first_pids) == 1 and last_pid not in first_pids, answers
    return status, page


def test_redis_counts_the_attempts_of_every_worker_together(sqlite_url, tmp_path, heavy_test_slot):
    server = Server(sqlite_url, tmp_path, "redis://127.0.0.1:6379", workers=2)
    try:
        status, page = _attempts_across_both_workers(server)
    finally:
        server.stop()
    assert status == 429
    assert "Trop de tentatives" in page and 'lang="fr"' in page


def test_memory_counts_per_worker_and_lets_the_other_worker_accept_more(sqlite_url, tmp_path,
                                                                         heavy_test_slot):
    # Why production does not default to memory://: the second worker has seen one attempt.
    server = Server(sqlite_url, tmp_path, "memory://", workers=2)
    try:
        status, _page = _attempts_across_both_workers(server)
    finally:
        server.stop()
    assert status == 422


def test_limits_still_hold_and_a_warning_is_logged_when_redis_does_not_answer(sqlite_url, tmp_path,
                                                                               heavy_test_slot):
    nobody = f"redis://127.0.0.1:{_free_port()}"  # nothing listens there
    server = Server(sqlite_url, tmp_path, nobody, workers=1)
    try:
        visitor = Visitor(server.port)
        statuses = [visitor.attempt()[0] for _ in range(LIMIT + 1)]
    finally:
        server.stop()
    assert statuses == [422] * LIMIT + [429]
    warning = "Rate limit storage unreachable - falling back to in-memory storage"
    assert warning in server.error_log.read_text()
