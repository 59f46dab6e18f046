"""What an operator relies on when deploying: the app refuses to start without a secret key,
``gunicorn.conf.py`` gives one sync worker per core unless told otherwise, production counts
rate limits in Redis, and the PostgreSQL pool follows its settings."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gunicorn.app.wsgiapp import WSGIApplication

from tests.support.factories import make_need

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Settings a deployer may have exported in the shell running the tests: the tests choose their own.
_DEPLOYER_PREFIXES = ("SECRET_KEY", "CIVICSANTE_", "DATABASE_URL", "DB_", "RATELIMIT_", "GUNICORN_",
                      "WEB_CONCURRENCY")


def _clean_env(tmp_path: Path, **settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DEPLOYER_PREFIXES)}
    env.update({"CIVICSANTE_INSTANCE": str(tmp_path / "instance"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'civicsante.sqlite3'}", **settings})
    return env


# --- SECRET_KEY ---------------------------------------------------------------------------------

def test_flask_commands_refuse_to_run_in_production_without_secret_key(tmp_path):
    refused = subprocess.run([str(FLASK), "--app", "civicsante", "routes"], cwd=PROJECT_ROOT,
                             env=_clean_env(tmp_path, CIVICSANTE_ENV="production"),
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    # Development has its own key: the same command runs.
    development = subprocess.run([str(FLASK), "--app", "civicsante", "routes"], cwd=PROJECT_ROOT,
                                 env=_clean_env(tmp_path, CIVICSANTE_ENV="development"),
                                 capture_output=True, text=True, timeout=120)
    assert development.returncode == 0, development.stderr
    assert "auth.login" in development.stdout


def test_gunicorn_does_not_serve_in_production_without_secret_key(tmp_path, heavy_test_slot):
    # CIVICSANTE_ENV unset means production.
    env = _clean_env(tmp_path, WEB_CONCURRENCY="1", GUNICORN_BIND="127.0.0.1:0")
    server = subprocess.run([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert server.returncode != 0
    assert "SECRET_KEY must be set" in server.stderr
    assert "Worker failed to boot" in server.stderr


# --- gunicorn.conf.py, read by gunicorn itself ------------------------------------------------

def _gunicorn_settings(monkeypatch, cores: set[int], **environment: str):
    """The settings gunicorn resolves from ``gunicorn -c gunicorn.conf.py wsgi:app`` for a process
    allowed to run on ``cores``, with ``environment`` exported."""
    for name in list(os.environ):
        if name.startswith(("GUNICORN_", "WEB_CONCURRENCY")):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "wsgi:app"])
    monkeypatch.chdir(PROJECT_ROOT)
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
    finally:
        os.sched_setaffinity(0, allowed)


needs_two_cores = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")


@needs_two_cores
def test_gunicorn_runs_two_sync_workers_on_two_cores(monkeypatch):
    cfg = _gunicorn_settings(monkeypatch, {0, 1})
    assert cfg.workers == 2
    assert cfg.worker_class_str == "sync" and cfg.threads == 1
    assert cfg.timeout == 30 and cfg.graceful_timeout == 30
    assert cfg.preload_app is False
    assert cfg.bind == ["127.0.0.1:8000"]


def test_gunicorn_runs_one_worker_per_core_it_may_use(monkeypatch):
    # Counted from the cores the process may run on (taskset, a container's cpuset), not the host's.
    assert _gunicorn_settings(monkeypatch, {0}).workers == 1


@needs_two_cores
def test_gunicorn_settings_follow_the_environment(monkeypatch):
    cfg = _gunicorn_settings(monkeypatch, {0, 1}, WEB_CONCURRENCY="3", GUNICORN_WORKER_CLASS="gthread",
                             GUNICORN_THREADS="4", GUNICORN_KEEPALIVE="5", GUNICORN_TIMEOUT="60",
                             GUNICORN_BIND="0.0.0.0:9000", GUNICORN_MAX_REQUESTS="1000")
    assert cfg.workers == 3
    assert cfg.worker_class_str == "gthread" and cfg.threads == 4 and cfg.keepalive == 5
    assert cfg.timeout == 60 and cfg.bind == ["0.0.0.0:9000"] and cfg.max_requests == 1000


# --- rate-limit storage and PostgreSQL pool, as the app resolves them -----------------------------

_RESOLVED = """
import json, sys
from civicsante import create_app
from civicsante.extensions import db, limiter
app = create_app(sys.argv[1])
with app.app_context():
    pool = db.engine.pool
    print(json.dumps({
        "storage": type(limiter.storage).__name__, "storage_uri": app.config["RATELIMIT_STORAGE_URI"],
        "fallback": app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"],
        "key_prefix": app.config["RATELIMIT_KEY_PREFIX"],
        "redis_timeouts": [limiter.storage.storage.connection_pool.connection_kwargs.get(k)
                           for k in ("socket_connect_timeout", "socket_timeout")]
                          if type(limiter.storage).__name__ == "RedisStorage" else None,
        "pool": [type(pool).__name__, pool.size(), pool._max_overflow, pool._recycle, pool._pre_ping],
    }))
"""


def _resolved(tmp_path, env_name: str, **settings: str) -> dict:
    env = _clean_env(tmp_path, SECRET_KEY="x" * 32, **settings)
    done = subprocess.run([sys.executable, "-c", _RESOLVED, env_name], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


POSTGRES_URL = "postgresql://civicsante@127.0.0.1:5432/civicsante"  # no connection is opened


def test_production_defaults_redis_rate_limits_and_a_bounded_postgresql_pool(tmp_path):
    production = _resolved(tmp_path, "production", DATABASE_URL=POSTGRES_URL)
    assert production["storage"] == "RedisStorage"
    assert production["storage_uri"] == "redis://127.0.0.1:6379"
    assert production["fallback"] is True and production["key_prefix"] == "civicsante"
    assert production["redis_timeouts"] == [0.5, 0.5]
    # pool_size, max_overflow, pool_recycle, pool_pre_ping of the engine itself.
    assert production["pool"] == ["QueuePool", 5, 5, 1800, False]


def test_development_counts_rate_limits_in_memory(tmp_path):
    assert _resolved(tmp_path, "development")["storage"] == "MemoryStorage"


def test_postgresql_pool_follows_its_settings(tmp_path):
    chosen = _resolved(tmp_path, "production", DATABASE_URL=POSTGRES_URL, DB_POOL_SIZE="3",
                       DB_MAX_OVERFLOW="0", DB_POOL_RECYCLE="600")
    assert chosen["pool"] == ["QueuePool", 3, 0, 600, False]


# --- one connection per request: what the pool arithmetic above counts on -----------------------

@pytest.fixture
def app_config():
    # One connection and none beyond it, waited for 2 s at most: a request that needed a second
    # connection at the same time would fail with a pool timeout.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 2}}


def test_a_request_needs_one_database_connection(app, client, world, login_as):
    need = make_need(app, territory_id=world.commune.id)
    login_as("resident")  # the login form writes a session row and an audit entry
    for path in ("/", "/besoins", f"/besoins/{need.id}"):
        assert client.get(path).status_code == 200, path
    supported = client.post(f"/besoins/{need.id}/soutenir")
    assert supported.status_code == 303
