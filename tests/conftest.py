"""Shared fixtures: ``app``, ``client``, ``mailbox``, ``world``, ``login_as(role)``."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade

from civicsante import create_app
from civicsante.extensions import db, limiter
from tests.support import database, speed
from tests.support.factories import PASSWORD, make_user, make_world
from tests.support.mailbox import Mailbox

ROLES = ("anonymous", "resident", "facilitator", "user_representative", "complaints_officer",
         "mediator", "admin")


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite (fichier temporaire)"
    return f"civicsante test database: {url}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    folder = None
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
        database.reset_postgres_schema(url)
    else:
        # In RAM when asked for (tests/support/speed.py): the tests commit thousands of times.
        memory = speed.memory_folder()
        folder = (Path(tempfile.mkdtemp(prefix="civicsante-tests-", dir=memory)) if memory
                  else tmp_path_factory.mktemp("db"))
        url = f"sqlite:///{folder / 'test.sqlite3'}"
    speed.share_engines_for(url)
    yield url
    if folder is not None and str(folder).startswith(speed.MEMORY_FOLDER):
        shutil.rmtree(folder, ignore_errors=True)  # tmp_path_factory cleans up its own folders


@pytest.fixture(scope="session")
def mailbox_server():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def _migrated(database_url, tmp_path_factory):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                      })
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def make_app(database_url: str, mailbox_port: int, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_PORT": mailbox_port,
        "MAIL_SERVER": "127.0.0.1",
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = HttpsClient
    speed.share_template_cache(app)
    return app


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the configuration of ``app``."""
    return {}


@contextmanager
def app_on_empty_database(database_url: str, mailbox_port: int, **overrides):
    """An app on the migrated test database; every table is emptied when it is done."""
    app = make_app(database_url, mailbox_port, **overrides)
    if app.config["RATELIMIT_ENABLED"]:
        with app.app_context():
            limiter.reset()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            database.empty_all_tables()
            db.engine.dispose()


@pytest.fixture
def app(_migrated, mailbox_server, app_config):
    with app_on_empty_database(_migrated, mailbox_server.port, **app_config) as app:
        yield app


@pytest.fixture
def heavy_test_slot():
    """Tests that start many processes take this slot in turn: ``make test`` runs the SQLite and
    the PostgreSQL passes side by side, and two of them at once would load the machine beyond
    what they measure (a lock held across processes, released when the test ends)."""
    import fcntl

    with open(Path(tempfile.gettempdir()) / "civicsante-heavy-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def mailbox(mailbox_server):
    mailbox_server.clear()
    return mailbox_server


class HttpsClient(FlaskClient):
    """Talks https, so Secure cookies travel and HSTS is sent, as in production."""

    def open(self, *args, **kwargs):
        if not (args and not isinstance(args[0], str)):
            kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    return make_world(app)


def _user_for_role(app, world, role: str):
    if role == "resident":
        return make_user(app, home_territory_id=world.commune.id)
    if role == "facilitator":
        return make_user(app, role=role, territory_id=world.commune.id, home_territory_id=world.commune.id)
    if role in ("complaints_officer", "mediator"):
        return make_user(app, role=role, establishment_id=world.hospital.id)
    return make_user(app, role=role)


def log_in(client, email: str, password: str = PASSWORD):
    response = client.post("/connexion", data={"email": email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def client_for(app, user):
    """A new test client logged in as ``user`` (through the login form)."""
    client = app.test_client()
    log_in(client, user.email)
    return client


@pytest.fixture
def login_as(app, client, world):
    """``login_as("facilitator")`` creates a person with that role (scoped to ``world``) and logs
    the ``client`` in as them; returns the user. ``"anonymous"`` logs nobody in."""

    def _login(role: str):
        if role == "anonymous":
            return None
        user = _user_for_role(app, world, role)
        log_in(client, user.email)
        return user

    return _login


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(Path(item.fspath)):
            item.add_marker(pytest.mark.e2e)
