"""``make bench``: CivicSanté's speed, measured against the limit of its own stack, with budgets.

In one run, on this machine:

1. the tallies: 10^6 majority-judgment ballots and 10^5 Schulze ballots over 10 priorities, from
   raw ballots to the result, in the tally library the app and the recount use;
2. the **baseline** (``tests/bench/baseline_app.py``): a minimal Flask + Flask-SQLAlchemy app on
   SQLite with the same pragmas, under gunicorn with the same ``gunicorn.conf.py`` — a page of 20
   rows with vote counts from one aggregate query, and a POST inserting one vote under a unique
   constraint;
3. CivicSanté on SQLite, then on PostgreSQL when 127.0.0.1:5432 answers: the dataset of
   ``tests/bench/dataset.py`` (10,000 residents, 50,000 needs, 200,000 supports, a closed
   consultation with 100,000 ballots…), served by gunicorn in its production configuration
   (``gunicorn -c gunicorn.conf.py wsgi:app``, CIVICSANTE_ENV=production, CSRF on);

each page driven by **wrk** (a separate process, closed loop: each connection sends its next
request when the previous answer arrives) at 1, 16 and 64 concurrent connections for a bounded
time after a warm-up. Then it writes ``bench/results.json`` and prints the same as tables, with
every budget of issue 7 met or not met. It never fails because of a budget: the figures are the
product.

    make bench
    .venv/bin/python -m tests.bench.run --seconds 3 --skip-postgres     # a quicker look

wrk was chosen over locust because it is a C program: at 500 requests/s locust's Python workers
would take a good part of the 2 cores the server is measured on.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WRK_SCRIPT = Path(__file__).with_name("wrk") / "requests.lua"
CLIENTS = (1, 16, 64)
READ_PAGES = ("accueil", "besoins", "besoin", "suggestions", "resultats")
PAGE_TITLES = {
    "accueil": "Accueil /",
    "besoins": "Besoins, territoire + catégorie, page 3",
    "besoin": "Fiche d'un besoin",
    "suggestions": "Suggestions (partiel htmx)",
    "resultats": "Résultats (100 000 bulletins)",
    "bulletin": "Dépôt d'un bulletin",
    "baseline_page": "Référence : page de 20 lignes",
    "baseline_vote": "Référence : un vote",
}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/civicsante_bench"
# Every ballot run (the warm-up, then 1, 16 and 64 clients) starts from an open consultation
# without ballots and may use all the signed-in residents as distinct voters: 10,000, that is
# 2,000 ballots/s for 5 s. Fixed slices of them ran out at 1 client once the machine cast 424
# ballots/s (2,000 voters for 5 s): the voters of the last 121 answers had already voted.
# Each warm-up runs at this many connections at least, so that every worker has served the page
# (or cast a ballot) before it is measured: at 1 client, one worker could take every warm-up
# request, and the other's first requests (its SQL statements compiled, its templates loaded,
# about 140 ms the first time) would land in the measure of the unloaded latency.
WARMUP_CLIENTS = 8
# The ratio budgets' level: there, each CivicSanté figure is divided by a baseline figure taken
# just before it (class Baseline); at 1 and 64 clients, by the baseline's first measure.
PAIRED_CLIENTS = 16

BUDGETS_TEXT = {
    "ratio": "ratio ≥ 0,5 de la référence à 16 clients (page en lecture)",
    "p95": "p95 < 25 ms avec 1 client",
    "errors": "0 erreur à 16 et 64 clients",
    "ballots": "bulletins/s ≥ 300 et ≥ 0,5 × votes/s de la référence (16 clients)",
    "tally_mj": "10⁶ bulletins au jugement majoritaire dépouillés < 2 s",
    "tally_schulze": "10⁵ bulletins Schulze dépouillés < 2 s",
    "bytes": "chaque page < 100 Ko transférés sans compression",
    "rss": "mémoire (RSS) d'un worker < 150 Mo",
}


# Serving ----------------------------------------------------------------------------------------

def wait_listening(port: int, process: subprocess.Popen, what: str, seconds: float = 60) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; RuntimeError if ``process`` exits or
    ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited before listening") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen within {seconds:.0f} s") from None
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app_module: str, env: dict) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn with the project's ``gunicorn.conf.py`` serving ``app_module`` on a free port."""
    port = free_port()
    full_env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOG_LEVEL": "warning"}
    full_env.pop("GUNICORN_ACCESS_LOG", None)
    binary = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(binary), "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), app_module],
                              cwd=PROJECT_ROOT, env=full_env)
    try:
        wait_listening(port, server, f"gunicorn ({app_module})")
        yield port, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# Loading ----------------------------------------------------------------------------------------

def request_line(method: str, path: str, cookie: str = "-", body: str = "-", htmx: bool = False) -> str:
    return "\t".join([method, path, cookie or "-", body or "-", "1" if htmx else "0"])


def wrk(port: int, lines: list[str], clients: int, seconds: float, folder: Path,
        statuses: bool = False) -> dict:
    """One wrk run of ``seconds`` at ``clients`` connections over ``lines``; answers its figures."""
    requests_file = folder / "requests.tsv"
    result_file = folder / "wrk.json"
    requests_file.write_text("\n".join(lines) + "\n")
    result_file.unlink(missing_ok=True)
    threads = min(2, clients)
    env = {**os.environ, "BENCH_REQUESTS": str(requests_file), "BENCH_RESULT": str(result_file),
           "BENCH_THREADS": str(threads), "BENCH_STATUSES": "1" if statuses else "0"}
    subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                    "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    raw = json.loads(result_file.read_text())
    return {"rps": round(raw["requests"] / raw["seconds"], 1), "requests": raw["requests"],
            "p50_ms": round(raw["p50_ms"], 2), "p95_ms": round(raw["p95_ms"], 2),
            "p99_ms": round(raw["p99_ms"], 2), "errors": raw["socket_errors"] + raw["status_errors"],
            "statuses": raw["statuses"]}


def load_page(port: int, lines: list[str], folder: Path, args) -> dict[str, dict]:
    out = {}
    for clients in CLIENTS:
        wrk(port, lines, max(clients, WARMUP_CLIENTS), args.warmup, folder)
        figures = wrk(port, lines, clients, args.seconds, folder)
        figures.pop("statuses")
        out[str(clients)] = figures
    return out


# Page weight ------------------------------------------------------------------------------------

_ASSET = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def page_bytes(port: int, path: str, htmx: bool) -> dict:
    """What a first visit transfers: the HTML and the CSS and JS it links to (a partial links to
    nothing), uncompressed and gzip-compressed (level 6, as nginx's ``gzip on``)."""
    status, html = get(port, path, {"HX-Request": "true"} if htmx else None)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    assets = []
    for href in dict.fromkeys(_ASSET.findall(html.decode())):
        asset_status, body = get(port, href.replace("&amp;", "&"))
        if asset_status != 200:
            raise RuntimeError(f"{href} answered {asset_status}")
        assets.append(body)
    parts = [html, *assets]
    return {"html": len(html), "css_js": sum(map(len, assets)), "total": sum(map(len, parts)),
            "gzip_total": sum(len(gzip.compress(p, 6)) for p in parts), "files": len(parts)}


# Tallies ----------------------------------------------------------------------------------------

def measure_tallies() -> dict:
    from civicsante.voting import tally

    rng = random.Random(1)
    cands = [f"p{i}" for i in range(10)]
    mj = [{c: rng.randrange(7) for c in cands} for _ in range(1_000_000)]
    began = time.perf_counter()
    tally("majority_judgment", cands, mj, grades=7)
    mj_s = time.perf_counter() - began
    del mj
    schulze = []
    for _ in range(100_000):
        order = cands[:]
        rng.shuffle(order)
        schulze.append(order[: rng.randint(1, len(cands))])
    began = time.perf_counter()
    tally("schulze", cands, schulze)
    schulze_s = time.perf_counter() - began
    return {"majority_judgment_1e6": round(mj_s, 3), "schulze_1e5": round(schulze_s, 3)}


# The baseline -----------------------------------------------------------------------------------

class Baseline:
    """The baseline app under gunicorn for the whole run.

    Its full measure comes first (``measure``); then every CivicSanté measure at 16 clients —
    the level of the ratio budget — is paired with a baseline measure taken just before it
    (``page``, ``vote``): this machine is a shared VM whose speed drifts by a third over a few
    minutes, and a ratio of two figures taken minutes apart measured that drift as much as the
    app (two runs an hour apart gave 0.39 and 0.27 for the needs list, and 0.45 and 0.33 for
    the ballots, with the same code). Its two workers idle while CivicSanté is measured."""

    def __init__(self, folder: Path, args):
        from tests.bench import baseline_app

        self.folder, self.args = folder, args
        self.path = folder / "baseline.sqlite3"
        baseline_app.fill(str(self.path))
        self.pages = [request_line("GET", f"/idees?page={p}") for p in (3,)]
        self.votes = [request_line("POST", f"/idees/{1 + v % baseline_app.IDEAS}/vote",
                                   body=f"voter={10_000_000 + v}") for v in range(400_000)]
        self.offset = 0
        self._server = None

    def __enter__(self) -> Baseline:
        self._server = gunicorn("tests.bench.baseline_app:app", {"BASELINE_DATABASE": str(self.path)})
        self.port, self.process = self._server.__enter__()
        return self

    def __exit__(self, *exc):
        return self._server.__exit__(*exc)

    def page(self, clients: int) -> dict:
        wrk(self.port, self.pages, max(clients, WARMUP_CLIENTS), self.args.warmup, self.folder)
        figures = wrk(self.port, self.pages, clients, self.args.seconds, self.folder)
        figures.pop("statuses")
        return figures

    def vote(self, clients: int, seconds: float | None = None) -> dict:
        # wrk's threads take every other line and need not send as many requests each: a run of
        # r requests used lines up to 2 r at most, so the next run starts past them (a vote sent
        # twice would answer 409 and count as an error of the baseline).
        if len(self.votes) - self.offset < 50_000:
            raise RuntimeError("the baseline ran out of distinct voters")
        figures = wrk(self.port, self.votes[self.offset:], clients, seconds or self.args.seconds, self.folder,
                      statuses=True)
        self.offset += 2 * (figures["requests"] + clients)
        return figures

    def measure(self) -> dict:
        out: dict = {"page": load_page(self.port, self.pages, self.folder, self.args), "vote": {}}
        self.vote(WARMUP_CLIENTS, self.args.warmup)
        for clients in CLIENTS:
            out["vote"][str(clients)] = self.vote(clients)
        out["worker_rss_mb"] = round(max(map(rss_mb, worker_pids(self.process.pid))), 1)
        return out


# CivicSanté -------------------------------------------------------------------------------------

def _ratio(rps: float, baseline_rps: float) -> float | None:
    return round(rps / baseline_rps, 3) if baseline_rps else None


def _participations(engine, consultation_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM participation WHERE consultation_id = :c"),
                            {"c": consultation_id}).scalar_one()


def _remove_ballots(engine, consultation_id: int) -> None:
    """The consultation's ballots, marks and participations removed: its voters may vote again."""
    with engine.begin() as conn:
        for table in ("ballot_mark", "ballot", "participation"):
            conn.execute(text(f"DELETE FROM {table} WHERE consultation_id = :c"), {"c": consultation_id})


def _dataset(kind: str, database_url: str, args):
    """The dataset, built — or, with --reuse-sqlite, loaded from a previous run's folder (SQLite
    only; the open consultation's ballots are removed so that every voter may vote again)."""
    from dataclasses import asdict

    from tests.bench import dataset

    saved = Path(args.reuse_sqlite) / "data.json" if args.reuse_sqlite and kind == "sqlite" else None
    if saved is not None and saved.exists():
        data = dataset.BenchData(**json.loads(saved.read_text()))
        engine = create_engine(data.database_url)
        _remove_ballots(engine, data.open_id)
        engine.dispose()
        print(f"\n… {kind} : données reprises de {saved.parent}", flush=True)
        return data
    print(f"\n… {kind} : création des données", flush=True)
    if saved is not None:
        saved.parent.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{saved.parent / 'civicsante.sqlite3'}"
    data = dataset.build(database_url)
    if saved is not None:
        saved.write_text(json.dumps(asdict(data)))
    return data


def warm_dataset(database_url: str) -> float:
    """Read the whole database once into the operating system's cache, and answer how long it took.

    The pages are measured in their steady state, with the data in memory as on a server that has
    been up for a while: on this VM, data just written does not reliably stay cached, and a cold
    read runs at about 35 MB/s — the first suggestions (a thousand random pages of ``need`` each)
    then took 2 s, and a whole 5-second measure could pass without one answer. SQLite: the
    database file and its WAL, read through. PostgreSQL: ``pg_prewarm`` (contrib) in ``read``
    mode on every table and index of the schema."""
    began = time.perf_counter()
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        for part in (path, path.with_name(path.name + "-wal")):
            if part.exists():
                with part.open("rb") as f, open(os.devnull, "wb") as sink:
                    shutil.copyfileobj(f, sink, 1 << 20)
    else:
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            conn.execute(text(
                "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 't', 'm')"))
        engine.dispose()
    return time.perf_counter() - began


def measure_civicsante(kind: str, database_url: str, baseline: Baseline, baseline_figures: dict,
                       folder: Path, args) -> dict:
    from tests.bench import dataset
    from tests.bench.bench_needs_list import SERVER_SECRET_KEY
    from tests.bench.bench_vote import signed_requests

    data = _dataset(kind, database_url, args)
    warm_seconds = warm_dataset(data.database_url)
    print(f"  prêtes en {data.seconds:.0f} s : " + ", ".join(f"{v:,}".replace(",", " ") + f" {k}"
                                                           for k, v in data.counts.items()), flush=True)
    print(f"  lues une fois (mises en cache) en {warm_seconds:.1f} s", flush=True)
    app = dataset.bench_app(data.database_url)
    credentials = signed_requests(app, data.session_keys)
    titles = ["Pas de medecin generaliste a", "Delais trop longs pour voir un orthophoniste",
              "Pas de transport vers le centre de dialyse", "Besoin d'un groupe de parole pour les aidants"]
    lines = {
        "accueil": [request_line("GET", "/")],
        "besoins": [request_line("GET", "/besoins?" + urlencode(
            {"territory_id": data.departement_id, "category_id": data.category_id, "page": 3}))],
        "besoin": [request_line("GET", f"/besoins/{i}") for i in data.detail_ids],
        "suggestions": [request_line("GET", "/besoins/similaires?" + urlencode(
            {"title": t, "territory_id": data.commune_id}), htmx=True) for t in titles],
        "resultats": [request_line("GET", f"/consultations/{data.closed_id}/resultats")],
    }
    rng = random.Random(3)
    ballot_path = f"/consultations/{data.open_id}/vote/confirmer"

    def ballot_lines(start: int, end: int) -> list[str]:
        return [request_line("POST", ballot_path, cookie, urlencode(
            {"csrf_token": token, **{f"grade-{c}": rng.randrange(7) for c in data.open_priority_ids}}))
            for cookie, token in credentials[start:end]]

    env = {"DATABASE_URL": data.database_url, "SECRET_KEY": SERVER_SECRET_KEY, "CIVICSANTE_ENV": "production",
           "RATELIMIT_ENABLED": "0", "SESSION_COOKIE_SECURE": "0"}
    engine = create_engine(data.database_url)
    out: dict = {"dataset": data.counts, "dataset_seconds": round(data.seconds, 1),
                 "dataset_warm_seconds": round(warm_seconds, 1), "pages": {}, "page_bytes": {}}
    with gunicorn("wsgi:app", env) as (port, server):
        for name in READ_PAGES:
            first = lines[name][0].split("\t")
            out["page_bytes"][name] = page_bytes(port, first[1], htmx=first[4] == "1")
            paired = baseline.page(PAIRED_CLIENTS)
            out["pages"][name] = load_page(port, lines[name], folder, args)
            for clients, figures in out["pages"][name].items():
                reference = paired if clients == str(PAIRED_CLIENTS) else baseline_figures["page"][clients]
                figures["baseline_rps"] = reference["rps"]
                figures["ratio"] = _ratio(figures["rps"], figures["baseline_rps"])
            print(f"  {PAGE_TITLES[name]} : " + ", ".join(
                f"{c} client(s) {f['rps']:.0f}/s" for c, f in out["pages"][name].items()), flush=True)
        out["pages"]["bulletin"] = {}
        voters = ballot_lines(0, len(credentials))
        wrk(port, voters, WARMUP_CLIENTS, args.warmup, folder, statuses=True)
        for clients in CLIENTS:
            reference = (baseline.vote(clients) if clients == PAIRED_CLIENTS
                         else baseline_figures["vote"][str(clients)])
            _remove_ballots(engine, data.open_id)
            figures = wrk(port, voters, clients, args.seconds, folder, statuses=True)
            recorded = _participations(engine, data.open_id)
            acknowledged = figures["statuses"].get("303", 0)
            figures["ballots_recorded"] = recorded
            # A 303 for a voter already counted would mean the voters ran out.
            figures["errors"] += max(0, acknowledged - recorded)
            figures["baseline_rps"] = reference["rps"]
            figures["ratio"] = _ratio(figures["rps"], figures["baseline_rps"])
            figures.pop("statuses")
            out["pages"]["bulletin"][str(clients)] = figures
        print("  Dépôt d'un bulletin : " + ", ".join(
            f"{c} client(s) {f['rps']:.0f}/s" for c, f in out["pages"]["bulletin"].items()), flush=True)
        out["worker_rss_mb"] = round(max(map(rss_mb, worker_pids(server.pid))), 1)
    engine.dispose()
    out["ballots_per_s"] = out["pages"]["bulletin"]["16"]["rps"]
    out["baseline_ballots_per_s"] = out["pages"]["bulletin"][str(PAIRED_CLIENTS)]["baseline_rps"]
    return out


# Budgets ----------------------------------------------------------------------------------------

def budgets(run: dict, tallies: dict) -> list[dict]:
    checks = []

    def check(key: str, subject: str, value, limit, met: bool) -> None:
        checks.append({"budget": BUDGETS_TEXT[key], "subject": subject, "value": value, "limit": limit, "met": met})

    for kind, figures in run.items():
        for name in READ_PAGES:
            ratio = figures["pages"][name]["16"]["ratio"]
            check("ratio", f"{kind} · {name}", ratio, 0.5, ratio is not None and ratio >= 0.5)
        for name, levels in figures["pages"].items():
            p95 = levels["1"]["p95_ms"]
            check("p95", f"{kind} · {name}", p95, 25, p95 < 25)
            errors = levels["16"]["errors"] + levels["64"]["errors"]
            check("errors", f"{kind} · {name}", errors, 0, errors == 0)
        ballots, base = figures["ballots_per_s"], figures["baseline_ballots_per_s"]
        check("ballots", kind, ballots, max(300, round(0.5 * base, 1)), ballots >= 300 and ballots >= 0.5 * base)
        for name, weight in figures["page_bytes"].items():
            check("bytes", f"{kind} · {name}", weight["total"], 100_000, weight["total"] < 100_000)
        check("rss", kind, figures["worker_rss_mb"], 150, figures["worker_rss_mb"] < 150)
    check("tally_mj", "bibliothèque de dépouillement", tallies["majority_judgment_1e6"], 2,
          tallies["majority_judgment_1e6"] < 2)
    check("tally_schulze", "bibliothèque de dépouillement", tallies["schulze_1e5"], 2, tallies["schulze_1e5"] < 2)
    return checks


# Output -----------------------------------------------------------------------------------------

def print_tables(results: dict) -> None:
    def row(cells, widths):
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    widths = (40, 7, 9, 8, 8, 8, 7, 9, 6)
    head = ("page", "clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "erreurs", "réf./s", "ratio")
    print("\n=== Référence (Flask + Flask-SQLAlchemy + SQLite minimal) ===")
    print(row(head[:7], widths[:7]))
    for key, title in (("page", "baseline_page"), ("vote", "baseline_vote")):
        for clients, f in results["baseline"][key].items():
            print(row((PAGE_TITLES[title], clients, f["rps"], f["p50_ms"], f["p95_ms"], f["p99_ms"], f["errors"]),
                      widths[:7]))
    for kind in ("sqlite", "postgresql"):
        figures = results if kind == "sqlite" else results.get("postgresql")
        if not figures:
            continue
        print(f"\n=== CivicSanté sur {kind} (gunicorn -c gunicorn.conf.py, {results['machine']['workers']} workers) ===")
        print(row(head, widths))
        for name, levels in figures["pages"].items():
            for clients, f in levels.items():
                print(row((PAGE_TITLES[name], clients, f["rps"], f["p50_ms"], f["p95_ms"], f["p99_ms"], f["errors"],
                           f["baseline_rps"], f["ratio"]), widths))
        print("\npoids des pages (octets : HTML, CSS+JS, total, total gzip)")
        for name, w in figures["page_bytes"].items():
            print(f"  {PAGE_TITLES[name]:<40} {w['html']:>8} {w['css_js']:>8} {w['total']:>8} {w['gzip_total']:>8}")
        print(f"bulletins/s (16 clients) : {figures['ballots_per_s']} (référence : {figures['baseline_ballots_per_s']})"
              f" ; RSS max d'un worker : {figures['worker_rss_mb']} Mo")
    t = results["tally_s"]
    print(f"\ndépouillement : 10⁶ jugement majoritaire {t['majority_judgment_1e6']} s ; 10⁵ Schulze {t['schulze_1e5']} s")
    print("\n=== Budgets ===")
    for b in results["budgets"]:
        print(f"  {'tenu    ' if b['met'] else 'NON TENU'}  {b['budget']} — {b['subject']} : {b['value']} (limite {b['limit']})")
    met = sum(b["met"] for b in results["budgets"])
    print(f"  {met}/{len(results['budgets'])} tenus")


def postgres_answers(url: str) -> bool:
    host = re.search(r"@([^:/]+)(?::(\d+))?", url)
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host.group(1), int(host.group(2) or 5432))) == 0


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="measured seconds per page and load level")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of load before each measure")
    parser.add_argument("--postgres-url", default=DEFAULT_PG,
                        help="PostgreSQL database for the second pass (emptied!)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--reuse-sqlite", metavar="DIR",
                        help="keep the SQLite dataset in DIR and reuse it on the next run (for profiling)")
    parser.add_argument("--output", default=str(PROJECT_ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk manque : apt-get install wrk (make bench l'installe en root)")
    began = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="civicsante-bench-", dir="/tmp"))
    try:
        import multiprocessing

        from gunicorn.config import Config

        workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
        results: dict = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "sqlite": sqlite3.sqlite_version, "workers": workers,
                        "worker_class": os.environ.get("GUNICORN_WORKER_CLASS", Config().worker_class_str),
                        "load_tool": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
                        .strip(), "seconds_per_measure": args.seconds, "warmup_seconds": args.warmup,
                        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        }
        print("… dépouillements", flush=True)
        results["tally_s"] = measure_tallies()
        print("… référence", flush=True)
        with Baseline(folder, args) as baseline:
            results["baseline"] = baseline.measure()
            run = {"sqlite": measure_civicsante("sqlite", f"sqlite:///{folder / 'civicsante.sqlite3'}",
                                                baseline, results["baseline"], folder, args)}
            if not args.skip_postgres and postgres_answers(args.postgres_url):
                ensure_database(args.postgres_url)
                run["postgresql"] = measure_civicsante("postgresql", args.postgres_url, baseline,
                                                       results["baseline"], folder, args)
            elif not args.skip_postgres:
                print(f"PostgreSQL ne répond pas ({args.postgres_url}) : SQLite seulement")
        # The shape asked for: SQLite (the embedded default) at the top, PostgreSQL beside it.
        sqlite_run = run["sqlite"]
        results.update({"pages": sqlite_run["pages"], "ballots_per_s": sqlite_run["ballots_per_s"],
                        "baseline_ballots_per_s": sqlite_run["baseline_ballots_per_s"],
                        "page_bytes": sqlite_run["page_bytes"], "worker_rss_mb": sqlite_run["worker_rss_mb"],
                        "dataset": sqlite_run["dataset"], "dataset_seconds": sqlite_run["dataset_seconds"],
                        "dataset_warm_seconds": sqlite_run["dataset_warm_seconds"]})
        if "postgresql" in run:
            results["postgresql"] = run["postgresql"]
        results["budgets"] = budgets(run, results["tally_s"])
        results["seconds"] = round(time.perf_counter() - began, 1)
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print_tables(results)
        print(f"\n{output} écrit ; banc complet en {results['seconds']:.0f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
