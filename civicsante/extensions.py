"""Flask extensions, created unbound; ``create_app`` attaches them with ``init_app``."""
import logging
from functools import cached_property

from flask import g
from flask.logging import default_handler
from flask_babel import Babel, Domain
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic can drop them on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's translations looked up once.

    Flask-Babel finds them again for every string (its context, the domain, the locale, then a
    cache keyed by the locale's name): about 7 µs a string, 360 lookups and 12 % of the CPU of a
    needs list page. Here they are kept on that same per-request context next to the locale
    they are for, and used again while that locale stays the request's (``force_locale``, used
    to write an e-mail in its reader's language, sets another locale object, so it misses)."""

    def get_translations(self):
        ctx = g.get("_flask_babel") if g else None
        locale = getattr(ctx, "babel_locale", None)
        memo = getattr(ctx, "civicsante_translations", None)
        if locale is not None and memo is not None and memo[0] is locale:
            return memo[1]
        translations = super().get_translations()
        ctx = g.get("_flask_babel") if g else None
        locale = getattr(ctx, "babel_locale", None)
        if locale is not None:
            ctx.civicsante_translations = (locale, translations)
        return translations


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _RequestDomain(domain=self.domain)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = _Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Flask-Limiter logs to its own logger, which only has a NullHandler: without the app's handler
# (stderr, gunicorn's error log) its warning that the Redis storage does not answer and that each
# worker now counts on its own would never reach the operator.
_limiter_log = logging.getLogger("flask-limiter")
_limiter_log.addHandler(default_handler)
_limiter_log.setLevel(logging.INFO)  # also "Rate limit storage recovered"
