"""What the crash-durability test needs: gunicorn in its production configuration that can be
killed outright, and clients that keep writing to it and keep a ledger of what it acknowledged.

``CrashServer`` runs ``gunicorn -c gunicorn.conf.py wsgi:app`` in a process group of its own, so
``kill()`` sends SIGKILL to the master and its workers at once: nothing is flushed, closed or
finished gracefully. ``start()`` again serves the same database.

The clients are threads talking plain HTTP (``http.client``, a new connection per request, as
gunicorn's sync workers close each one). Each records what it sent and how it ended:

- **acknowledged**: the answer came (a 303 to the ballot's receipt or to the complaint's
  acknowledgement page) — the write must be in the database from then on;
- **cut**: the connection was made and the request sent (or being sent) when the server died,
  and no answer came — the write may or may not be there, never twice;
- **refused**: no server listened (between a kill and the restart); nothing was sent.

A ballot whose request was cut is sent again, the same ballot by the same voter, once the server
is back (what a voter does after an error page): it must then be counted once. A complaint whose
request was cut is not sent again; each filing carries a marker of its own in its facts, so the
test can tell a complaint recorded twice from two complaints.
"""
from __future__ import annotations

import http.client
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from tests.bench.run import free_port, wait_listening

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUEST_TIMEOUT_S = 20
_ACKNOWLEDGEMENT = re.compile(r"^(?:https?://[^/]+)?/reclamations/mes-reclamations/(\d+)/accuse-reception$")



class CrashServer:
    """gunicorn with the project's ``gunicorn.conf.py`` (2 sync workers), production mode, rate
    limits off, on ``database_url``; its output appended to ``log``."""

    def __init__(self, database_url: str, secret_key: str, log: Path, workers: int = 2):
        self.database_url, self.log = database_url, log
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._env = {k: v for k, v in os.environ.items()
                     if not k.startswith(("GUNICORN_", "RATELIMIT_", "MAIL_", "WEB_CONCURRENCY", "DATABASE_URL"))}
        self._env.update({
            "CIVICSANTE_ENV": "production", "SECRET_KEY": secret_key, "DATABASE_URL": database_url,
            "SESSION_COOKIE_SECURE": "0", "RATELIMIT_ENABLED": "0", "MAIL_BACKEND": "console",
            "WEB_CONCURRENCY": str(workers), "GUNICORN_WORKER_CLASS": "sync", "GUNICORN_LOG_LEVEL": "warning",
            # 20 boots: the workers compile the app's modules once, into a cache beside the log
            # (not the source tree), even where PYTHONDONTWRITEBYTECODE is set; the boots after
            # the first then take a second or two instead of several on a loaded machine.
            "PYTHONPYCACHEPREFIX": str(log.parent / "pycache"),
        })
        self._env.pop("PYTHONDONTWRITEBYTECODE", None)

    def start(self) -> None:
        """A new server on a free port; answers once it accepts connections (the workers may
        still be booting: requests wait in the listen queue meanwhile)."""
        assert self.process is None
        port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "ab") as log:
            log.write(f"\n=== start {self.starts + 1} on port {port} ===\n".encode())
            log.flush()
            # start_new_session: a process group of its own (pgid = the master's pid) for kill().
            self.process = subprocess.Popen(
                [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=PROJECT_ROOT,
                env={**self._env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.starts += 1
        wait_listening(port, self.process, f"gunicorn (see {self.log})")
        self.port = port

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill(self) -> int:
        """SIGKILL to the whole process group (master and workers at once); returns once every
        one of them is gone. Answers how many processes were killed."""
        pids = [self.process.pid, *self.workers()]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids):
            assert time.monotonic() < deadline, f"processes {pids} still alive 30 s after SIGKILL"
            time.sleep(0.01)
        self.process = None
        return len(pids)

    def stop(self) -> None:
        if self.process is not None:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        """The end of gunicorn's output, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _alive(pid: int) -> bool:
    """Still running (a zombie waiting for its new parent to reap it has already died)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


# Clients ------------------------------------------------------------------------------------------

class Refused(Exception):
    """No server listened: nothing was sent."""


class Cut(Exception):
    """The request went out (or was going out) and no answer came back."""


def post(port: int, path: str, body: dict, cookie: str) -> http.client.HTTPResponse:
    data = urlencode(body).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.connect()
    except OSError as error:
        conn.close()
        raise Refused from error
    try:
        conn.request("POST", path, body=data, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.body = response.read()
        return response
    except (OSError, http.client.HTTPException) as error:
        raise Cut(type(error).__name__) from error
    finally:
        conn.close()


def get(port: int, path: str, cookie: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _errors(response) -> list[str]:
    """The error messages of a page shown again (for failure messages)."""
    page = response.body.decode(errors="replace")
    return re.findall(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]{1,200})', page)[:3] or [page[:200]]


@dataclass
class Ledger:
    """What every client sent and how it ended, per server start (``cycle``), under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ballots_acknowledged: dict[int, int] = field(default_factory=dict)  # voter index → cycle
    ballots_sent: set[int] = field(default_factory=set)
    # marker → (complaint id, resident, cycle)
    complaints_acknowledged: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    complaints_sent: set[str] = field(default_factory=set)
    cut: list[tuple[int, str, str]] = field(default_factory=list)  # (cycle, kind, exception)
    # (cycle, kind, status, location, the page's error messages): any other answer
    unexpected: list[tuple] = field(default_factory=list)

    def acknowledged_in(self, cycle: int) -> tuple[int, int]:
        with self.lock:
            return (sum(c == cycle for c in self.ballots_acknowledged.values()),
                    sum(c == cycle for _id, _r, c in self.complaints_acknowledged.values()))

    def cut_in(self, cycle: int) -> int:
        with self.lock:
            return sum(c == cycle for c, _kind, _error in self.cut)


class Load:
    """The client threads and the gate that lets them run: ``resume()`` while a server is up,
    ``pause()`` (returns once no request is in flight) while the database is checked."""

    def __init__(self, server: CrashServer, ledger: Ledger):
        self.server, self.ledger = server, ledger
        self.cycle = 0
        self._go = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._idle = threading.Condition()
        self.errors: list[BaseException] = []

    def add(self, client) -> None:
        thread = threading.Thread(target=self._run, args=(client,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run(self, client) -> None:
        try:
            while True:
                self._go.wait()
                if self._stop.is_set():
                    return
                with self._idle:
                    if not self._go.is_set():
                        continue
                    self._busy += 1
                try:
                    client.step(self.server.port, self.cycle)
                finally:
                    with self._idle:
                        self._busy -= 1
                        self._idle.notify_all()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)

    def resume(self, cycle: int) -> None:
        self.cycle = cycle
        self._go.set()

    def pause(self) -> None:
        with self._idle:
            self._go.clear()
            assert self._idle.wait_for(lambda: self._busy == 0, timeout=60), "a client did not stop"

    def stop(self) -> None:
        self._stop.set()
        self._go.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)


class BallotClient:
    """Confirms the ballots of its voters one after the other (majority judgment, a grade for
    each priority); a ballot whose request was cut goes back to the front of the queue, unchanged."""

    def __init__(self, ledger: Ledger, consultation_id: int, candidates: list[str],
                 voters: list[tuple[int, str, str]], seed: int):
        self.ledger = ledger
        self.path = f"/consultations/{consultation_id}/vote/confirmer"
        self.receipt = f"/consultations/{consultation_id}/recu"
        rng = random.Random(seed)
        # (voter index, cookie, form): each voter's ballot is drawn once, so a resend is identical.
        self.queue = deque((index, cookie, {"csrf_token": token,
                                            **{f"grade-{cid}": str(rng.randrange(7)) for cid in candidates}})
                           for index, cookie, token in voters)

    def step(self, port: int, cycle: int) -> None:
        if not self.queue:
            time.sleep(0.05)
            return
        index, cookie, form = self.queue.popleft()
        with self.ledger.lock:
            self.ledger.ballots_sent.add(index)
        try:
            response = post(port, self.path, form, cookie)
        except Refused:
            self.queue.appendleft((index, cookie, form))
            time.sleep(0.02)
            return
        except Cut as cut:
            self.queue.appendleft((index, cookie, form))
            with self.ledger.lock:
                self.ledger.cut.append((cycle, "ballot", str(cut)))
            return
        location = response.getheader("Location") or ""
        with self.ledger.lock:
            # The receipt (``?vote=enregistre``, or plain for a resent ballot already counted).
            if response.status == 303 and location.split("?", 1)[0].endswith(self.receipt):
                self.ledger.ballots_acknowledged[index] = cycle
            else:
                self.ledger.unexpected.append((cycle, "ballot", response.status, location, _errors(response)))


class ComplaintClient:
    """One signed-in resident filing complaints online about ``establishment_id``, each with a
    marker of its own in its facts; the complaint's id is read from the 303's Location."""

    def __init__(self, ledger: Ledger, resident: int, cookie: str, token: str, establishment_id: int,
                 occurred_on, name: str):
        self.ledger, self.resident, self.cookie, self.name = ledger, resident, cookie, name
        self.form = {"csrf_token": token, "establishment_id": str(establishment_id), "relation": "patient",
                     "occurred_on": (occurred_on - timedelta(days=3)).isoformat(),
                     "service_concerned": "Urgences", "expectations": "Une explication écrite."}
        self.filed = 0

    def step(self, port: int, cycle: int) -> None:
        marker = f"{self.name}-{self.filed + 1}"
        facts = f"Réclamation [{marker}] : attente de six heures aux urgences sans information."
        with self.ledger.lock:
            self.ledger.complaints_sent.add(marker)
        try:
            response = post(port, "/reclamations/nouvelle", {**self.form, "facts": facts}, self.cookie)
        except Refused:
            time.sleep(0.02)
            return  # nothing was sent: the same marker is used next time
        except Cut as cut:
            self.filed += 1  # maybe recorded: the next filing is another complaint
            with self.ledger.lock:
                self.ledger.cut.append((cycle, "complaint", str(cut)))
            return
        self.filed += 1
        found = _ACKNOWLEDGEMENT.match(response.getheader("Location") or "")
        with self.ledger.lock:
            if response.status == 303 and found:
                self.ledger.complaints_acknowledged[marker] = (int(found.group(1)), self.resident, cycle)
            else:
                self.ledger.unexpected.append((cycle, "complaint", response.status,
                                               response.getheader("Location") or "", _errors(response)))
