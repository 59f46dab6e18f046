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


class Config:
    ENV_NAME = "production"
    PASSWORD_HASHING = "standard"  # argon2id at argon2-cffi's default cost (accounts/passwords.py)
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = (
        _normalise_db_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )  # None: a SQLite file in the instance folder (see create_app)
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "5"))
    # The largest request body: a complaint's 5 attachments of 5 MB each and its form. Flask-WTF
    # reads the whole form for the CSRF check before any view runs, so the cap must be app-wide.
    MAX_CONTENT_LENGTH = 27 * 1024 * 1024

    # Sessions: the cookie only carries an opaque key of a server-side session row.
    SESSION_COOKIE_NAME = "civicsante_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PERMANENT_SESSION_LIFETIME = timedelta(days=int(os.environ.get("SESSION_DAYS", "14")))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))  # seconds

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
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


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    PASSWORD_HASHING = "fast"  # argon2id at its lowest cost (accounts/passwords.py)
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # replaced by the test fixtures
    SESSION_COOKIE_SECURE = True
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    WTF_CSRF_ENABLED = False
    SERVER_NAME = None


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}
