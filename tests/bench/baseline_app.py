"""The baseline the benchmark compares CivicSanté with: the least a Flask app on the same stack
does for a page of a list and for a vote.

Flask + Flask-SQLAlchemy on SQLite with the very pragmas and transaction rule of CivicSanté
(``civicsante.db.configure_sqlite``: WAL, synchronous=FULL, foreign keys, busy timeout, BEGIN
IMMEDIATE for writes, a deferred BEGIN for GET), served by gunicorn with the same
``gunicorn.conf.py``:

- ``GET /idees?page=N``: a page of 20 ideas with their vote counts from one aggregate query,
  rendered by Jinja (a layout and a loop, no i18n, no login, no CSRF);
- ``POST /idees/<id>/vote`` (form field ``voter``): inserts one vote under a unique constraint
  (one vote per voter and idea) and answers 303, or 409 for a second vote.

    BASELINE_DATABASE=/tmp/baseline.sqlite3 gunicorn -c gunicorn.conf.py tests.bench.baseline_app:app
    .venv/bin/python -m tests.bench.baseline_app --fill /tmp/baseline.sqlite3   # 2,000 ideas, 200,000 votes
"""
from __future__ import annotations

import argparse
import os
import random
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, redirect, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from civicsante.db import configure_sqlite, mark_read_only, reset_read_only

IDEAS, VOTES, PAGE = 2_000, 200_000, 20

db = SQLAlchemy()


class Idea(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]


class Vote(db.Model):
    __table_args__ = (UniqueConstraint("idea_id", "voter_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), index=True)
    voter_id: Mapped[int]


def create_app(path: str | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("baseline_templates")))
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path or os.environ['BASELINE_DATABASE']}"
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, 5000)

    @app.before_request
    def _reads_are_deferred():
        request.environ["baseline.read_only"] = mark_read_only(request.method == "GET")

    @app.teardown_request
    def _reset(_error=None):
        token = request.environ.pop("baseline.read_only", None)
        if token is not None:
            reset_read_only(token)

    @app.get("/idees")
    def ideas():
        page = request.args.get("page", 1, type=int)
        shown = select(Idea).order_by(Idea.id).limit(PAGE).offset((page - 1) * PAGE).subquery()
        rows = db.session.execute(
            select(shown.c.id, shown.c.title, shown.c.summary, shown.c.created_at, func.count(Vote.id))
            .outerjoin(Vote, Vote.idea_id == shown.c.id)
            .group_by(shown.c.id, shown.c.title, shown.c.summary, shown.c.created_at)
            .order_by(shown.c.id)).all()
        return render_template("ideas.html", rows=rows, page=page)

    @app.post("/idees/<int:idea_id>/vote")
    def vote(idea_id: int):
        voter = request.form.get("voter", type=int)
        if voter is None:
            abort(400)
        db.session.add(Vote(idea_id=idea_id, voter_id=voter))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            abort(409)
        return redirect(f"/idees?page=1#idee-{idea_id}", code=303)

    return app


def fill(path: str, seed: int = 1) -> None:
    """A fresh baseline database: IDEAS ideas and VOTES votes (distinct voters per idea)."""
    Path(path).unlink(missing_ok=True)
    app = create_app(path)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    with app.app_context():
        db.create_all()
        db.session.execute(db.insert(Idea), [
            {"id": i, "title": f"Idée n° {i} pour la santé du quartier", "created_at": now,
             "summary": "Une maison de santé ouverte le samedi, avec un médecin et une infirmière."}
            for i in range(1, IDEAS + 1)])
        db.session.execute(db.insert(Vote), [
            {"idea_id": 1 + v % IDEAS, "voter_id": v // IDEAS} for v in rng.sample(range(IDEAS * 1_000), VOTES)])
        db.session.commit()
        db.engine.dispose()


app = create_app() if os.environ.get("BASELINE_DATABASE") else None

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill", required=True, metavar="PATH")
    fill(parser.parse_args().fill)
