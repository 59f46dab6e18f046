"""Configuration read from the environment.

Every setting a deployer may change is an environment variable of the same name; the README lists
them. ``Config`` is production-safe by default; ``DevelopmentConfig`` and ``TestConfig`` relax what
only makes sense on a developer's machine.
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import ClassVar


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs and bare "postgresql://" pick psycopg2; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _redis_timeouts(storage_uri: str, seconds: float) -> dict:
    """Socket timeouts for a Redis rate-limit storage (other storages take other options)."""
    if storage_uri.split("://", 1)[0] in {"redis", "rediss"}:
        return {"socket_connect_timeout": seconds, "socket_timeout": seconds}
    return {}


def postgres_engine_options(config) -> dict:
    """SQLAlchemy's pool settings for PostgreSQL, from the DB_* settings (per worker)."""
    # No pool_pre_ping: a connection is checked when it is taken only if it idled in the pool
    # (civicsante.db.configure_postgres), not on every request.
    return {"pool_size": config["DB_POOL_SIZE"], "max_overflow": config["DB_MAX_OVERFLOW"],
            "pool_recycle": config["DB_POOL_RECYCLE"], "pool_pre_ping": False}


class Config:
    ENV_NAME = "production"
    PASSWORD_HASHING = "standard"  # argon2id at argon2-cffi's default cost (accounts/passwords.py)
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = (
        _normalise_db_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )  # None: a SQLite file in the instance folder (see create_app)
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
    # PostgreSQL, per gunicorn worker (see postgres_engine_options). A sync worker serves one
    # request at a time and a request uses one connection, so a worker opens one connection
    # (the pool opens them on demand); gthread opens up to one per thread. The pool's ceiling,
    # workers × (DB_POOL_SIZE + DB_MAX_OVERFLOW) per host — 2 × (5 + 5) = 20 by default — plus
    # the cron commands and backups must stay under the server's max_connections (100 by
    # default, 3 of them kept for superusers).
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "5"))
    DB_MAX_OVERFLOW = int(os.environ.get("DB_MAX_OVERFLOW", "5"))
    # Connections older than this (seconds) are replaced when next taken from the pool, before a
    # firewall, a pooler or the server's idle timeout cuts them.
    DB_POOL_RECYCLE = int(os.environ.get("DB_POOL_RECYCLE", "1800"))
    # A connection that stayed this long (seconds) in the pool is checked (one round trip) as it
    # is taken, and replaced if the server no longer answers on it: a server restarted while the
    # site was quiet costs no failed request. One used a moment ago is not: under load, checking
    # every request's connection (SQLAlchemy's pool_pre_ping) was a sixth of a ballot's time on
    # PostgreSQL. A server restarted under load fails the requests in progress anyway; the pool
    # then replaces all its connections (SQLAlchemy's disconnect handling).
    DB_PING_AFTER_IDLE = float(os.environ.get("DB_PING_AFTER_IDLE", "2"))
    # The largest request body: a complaint's 5 attachments of 5 MB each and its form. Flask-WTF
    # reads the whole form for the CSRF check before any view runs, so the cap must be app-wide.
    MAX_CONTENT_LENGTH = 27 * 1024 * 1024

    # Sessions: the cookie only carries an opaque key of a server-side session row.
    SESSION_COOKIE_NAME = "civicsante_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PERMANENT_SESSION_LIFETIME = timedelta(days=int(os.environ.get("SESSION_DAYS", "14")))
    # The session row expires PERMANENT_SESSION_LIFETIME after the login, whatever is done since:
    # the cookie keeps the expiry it got at login too, rather than being signed and sent again on
    # every response (Flask's default), which cost each request a signature and a Set-Cookie
    # for a cookie that could not outlive its row anyway. A response that changes the session (a
    # message to show, a language chosen) still sends it.
    SESSION_REFRESH_EACH_REQUEST = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))  # seconds

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # Counters live in Redis, shared by every worker and host: with memory:// each gunicorn
    # worker counts on its own and 2 workers let twice each limit through. While Redis does not
    # answer, each worker counts in its own memory (the same limits, per worker) and a warning
    # is logged; the limiter goes back to Redis once it answers again.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # Prepended to every counter's key: several sites may share one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "civicsante")
    # A Redis that does not answer must not hold a login for long (redis-py waits forever).
    RATELIMIT_REDIS_TIMEOUT = float(os.environ.get("RATELIMIT_REDIS_TIMEOUT", "0.5"))
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict] = _redis_timeouts(RATELIMIT_STORAGE_URI,
                                                                RATELIMIT_REDIS_TIMEOUT)
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_SIGNUP = os.environ.get("RATELIMIT_SIGNUP", "5 per minute;20 per hour")
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per minute;20 per hour")
    # Every other anonymous POST (the language switch): generous, only against floods.
    RATELIMIT_ANONYMOUS_POST = os.environ.get("RATELIMIT_ANONYMOUS_POST", "60 per minute")

    # E-mail: "smtp" sends through MAIL_SERVER; "console" prints (development default).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND") or ("smtp" if os.environ.get("MAIL_SERVER") else "console")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "CivicSanté <ne-pas-repondre@civicsante.invalid>")
    # The site's address as people reach it (e.g. https://civicsante.example.fr): links in e-mails
    # sent outside a request (the cron command) are built on it.
    PUBLIC_URL = os.environ.get("PUBLIC_URL")

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    PAGE_SIZE = 25
    # A need or a comment is hidden, pending a facilitator's review, after this many reports.
    NEED_AUTO_HIDE_REPORTS = int(os.environ.get("NEED_AUTO_HIDE_REPORTS", "3"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # `flask run` is one process, and a developer's machine rarely runs Redis.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict] = _redis_timeouts(RATELIMIT_STORAGE_URI,
                                                                Config.RATELIMIT_REDIS_TIMEOUT)


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    PASSWORD_HASHING = "fast"  # argon2id at its lowest cost (accounts/passwords.py)
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # replaced by the test fixtures
    SESSION_COOKIE_SECURE = True
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict] = {}
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    WTF_CSRF_ENABLED = False
    SERVER_NAME = None


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}
