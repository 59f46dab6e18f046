"""CivicSanté: the application factory."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from civicsante.config import CONFIGS, postgres_engine_options
from civicsante.db import configure_postgres, configure_sqlite, mark_read_only, reset_read_only
from civicsante.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def create_app(config: dict | str | None = None) -> Flask:
    """Build the app. ``config`` is a config name ("production", "development", "testing") or a
    mapping of overrides applied on top of the testing config."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=os.environ.get("CIVICSANTE_INSTANCE") or str(PROJECT_ROOT / "instance"),
    )
    if isinstance(config, dict):
        app.config.from_object(CONFIGS["testing"])
        app.config.update(config)
    else:
        app.config.from_object(CONFIGS[config or os.environ.get("CIVICSANTE_ENV", "production")])
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set (environment variable) outside development.")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'civicsante.sqlite3'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **postgres_engine_options(app.config), **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    if app.config["PROXY_FIX_X_FOR"]:
        n = app.config["PROXY_FIX_X_FOR"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from civicsante.accounts.passwords import use_hashing_profile
    use_hashing_profile(app.config.get("PASSWORD_HASHING", "standard"))
    _init_extensions(app)
    _init_request_hooks(app)
    _register_blueprints(app)

    from civicsante import cli, errors_web, jinja, security
    security.init_security_headers(app)
    errors_web.init_error_pages(app)
    jinja.init_jinja(app)
    cli.init_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from civicsante import models  # noqa: F401  (registers every table)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        elif db.engine.dialect.name == "postgresql":
            configure_postgres(db.engine, app.config["DB_PING_AFTER_IDLE"])
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories="translations")
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l
    login_manager.login_message = _l("Please log in to see this page.")

    @login_manager.user_loader
    def _load_user(key: str):
        from civicsante.accounts.sessions import load_session_user
        return load_session_user(key)


def _select_locale() -> str:
    languages = ("fr", "en")
    user = getattr(g, "_login_user", None) or (current_user if request else None)
    if user is not None and getattr(user, "is_authenticated", False) and user.language in languages:
        return user.language
    # Outside a request (CLI, services called from tests) there is no session: French.
    lang = session.get("lang") if request else None
    return lang if lang in languages else "fr"


def _init_request_hooks(app: Flask) -> None:
    @app.before_request
    def _transaction_mode():
        view = app.view_functions.get(request.endpoint)
        read_only = (request.method in SAFE_METHODS and not getattr(view, "writes_on_read", False)) \
            or getattr(view, "reads_first", False)
        g._read_only_token = mark_read_only(read_only)

    @app.teardown_request
    def _reset_transaction_mode(_exc):
        token = g.pop("_read_only_token", None)
        if token is not None:
            reset_read_only(token)

    @app.context_processor
    def _layout_context():
        from civicsante.accounts.passwords import MIN_LENGTH
        return {"current_locale": str(get_locale()), "password_min_length": MIN_LENGTH}


def _register_blueprints(app: Flask) -> None:
    from civicsante.blueprints.account import bp as account_bp
    from civicsante.blueprints.admin import bp as admin_bp
    from civicsante.blueprints.auth import bp as auth_bp
    from civicsante.blueprints.complaints import bp as complaints_bp
    from civicsante.blueprints.consultations import bp as consultations_bp
    from civicsante.blueprints.main import bp as main_bp
    from civicsante.blueprints.mandates import bp as mandates_bp
    from civicsante.blueprints.needs import bp as needs_bp
    from civicsante.blueprints.notifications import bp as notifications_bp

    for bp in (main_bp, auth_bp, account_bp, admin_bp, needs_bp, notifications_bp, consultations_bp,
               mandates_bp, complaints_bp):
        app.register_blueprint(bp)
