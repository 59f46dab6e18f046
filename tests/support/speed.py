"""What every test would otherwise pay again: compiling the templates and the SQL statements of a
brand-new app, and waiting for the disk on each commit.

Each test still gets its own app (``create_app``: its own config, routes, extensions, limiter),
but the apps of one run share

- one Jinja bytecode cache: a template is compiled once per run instead of once per test (the
  cache is keyed by the template's source checksum and by the environment's options);
- one SQLAlchemy engine per database URL and engine options (and process): its compiled-statement
  cache survives from test to test. ``create_app`` configures a SQLite engine (pragmas, BEGIN
  IMMEDIATE) or a PostgreSQL one (the check of idle connections) once, not once per app, so its
  listeners do not pile up. ``dispose()`` at the end of
  a test still closes every connection;

and the test database waits less for the disk: the PostgreSQL test database commits without
waiting for its WAL flush (``synchronous_commit = off``: other sessions see a commit at once, as before; only a
crash of the server could lose the last commits of a database that is dropped anyway), and the
SQLite file can live in RAM (``/dev/shm``) when ``CIVICSANTE_TEST_DB_IN_RAM=1``. The
application's own settings (WAL, ``synchronous=FULL``…) are unchanged and still tested.
"""
from __future__ import annotations

import os
import weakref

from flask import Flask
from jinja2 import BytecodeCache, Environment
from flask_sqlalchemy import SQLAlchemy

import civicsante

MEMORY_FOLDER = "/dev/shm"


def memory_folder() -> str | None:
    """A folder held in RAM for the SQLite test database, when asked for
    (``CIVICSANTE_TEST_DB_IN_RAM=1``) and the machine has one. Off by default: the two many-process tests twice failed with
    "database is locked" on a machine loaded by other runs with the file in RAM, and that was not
    told apart from the load in time; on disk they behave as they always did."""
    if os.environ.get("CIVICSANTE_TEST_DB_IN_RAM") != "1":
        return None
    return MEMORY_FOLDER if os.path.isdir(MEMORY_FOLDER) and os.access(MEMORY_FOLDER, os.W_OK) else None


class _MemoryBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # ignored by Jinja when the source checksum differs

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_bytecode_caches: dict[tuple, _MemoryBytecodeCache] = {}


def _environment_options(env: Environment) -> tuple:
    """What changes the code Jinja compiles a template to."""
    return (env.block_start_string, env.block_end_string, env.variable_start_string,
            env.variable_end_string, env.comment_start_string, env.comment_end_string,
            env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks,
            env.newline_sequence, env.keep_trailing_newline, env.optimized, repr(env.autoescape),
            tuple(sorted(env.extensions)), env.is_async)


def share_template_cache(app: Flask) -> None:
    """Give ``app`` the run's bytecode cache for its Jinja environment's options."""
    env = app.jinja_env
    env.bytecode_cache = _bytecode_caches.setdefault(_environment_options(env), _MemoryBytecodeCache())


_shared_urls: set[str] = set()
_engines: dict[tuple, object] = {}
_configured_sqlite: weakref.WeakSet = weakref.WeakSet()
_configured_postgres: weakref.WeakSet = weakref.WeakSet()
_installed = False


def share_engines_for(url: str) -> None:
    """Apps on ``url`` (the suite's database) share their engine from now on."""
    _shared_urls.add(url)
    _install()


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    make_engine = SQLAlchemy._make_engine
    configure_sqlite = civicsante.configure_sqlite  # AttributeError if create_app stops using it
    configure_postgres = civicsante.configure_postgres

    def _make_engine(self, bind_key, options, app):
        url = str(options.get("url"))
        if url not in _shared_urls:
            return make_engine(self, bind_key, options, app)
        key = (os.getpid(), bind_key, repr(sorted(options.items())),
               app.config.get("SQLITE_BUSY_TIMEOUT_MS"), app.config.get("DB_PING_AFTER_IDLE"))
        if key not in _engines:
            _engines[key] = make_engine(self, bind_key, options, app)
        return _engines[key]

    def _configure_sqlite_once(engine, busy_timeout_ms):
        # The busy timeout is part of the engine's key above, so one configuration is right.
        if engine in _configured_sqlite:
            return
        _configured_sqlite.add(engine)
        configure_sqlite(engine, busy_timeout_ms)

    def _configure_postgres_once(engine, ping_after_idle):
        # The idle time before a check is part of the engine's key above too.
        if engine in _configured_postgres:
            return
        _configured_postgres.add(engine)
        configure_postgres(engine, ping_after_idle)

    SQLAlchemy._make_engine = _make_engine
    civicsante.configure_sqlite = _configure_sqlite_once
    civicsante.configure_postgres = _configure_postgres_once
