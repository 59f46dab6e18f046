"""The hot pages of the needs area run a fixed number of SQL queries, whatever the number of
needs on the list page or of comments on a need's page (no query per row)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.needs import services
from civicsante.needs.models import Need, NeedCategory
from tests.conftest import log_in
from tests.support.factories import make_user
from tests.support.queries import count_queries


def _add_needs(app, territory_id: int, author_id: int, count: int, supporter_id: int | None = None) -> list[int]:
    """``count`` needs (every other one supported by ``supporter_id``, with a comment)."""
    ids = []
    with app.app_context():
        author = db.session.get(User, author_id)
        supporter = db.session.get(User, supporter_id) if supporter_id else None
        categories = db.session.execute(select(NeedCategory.id)).scalars().all()
        for i in range(count):
            need = services.submit_need(author, title=f"Besoin compté {len(ids)} {i}",
                                        description="Une description suffisamment longue.",
                                        category_id=categories[i % len(categories)],
                                        territory_id=territory_id, public_concerned=None, consent=True)
            if supporter is not None and i % 2 == 0:
                services.support(need, supporter)
            services.add_comment(need, author, "Un commentaire.")
            ids.append(need.id)
        db.session.commit()
    return ids


def _add_comments(app, need_id: int, count: int) -> None:
    author_ids = [make_user(app).id for _ in range(3)]
    with app.app_context():
        need = db.session.get(Need, need_id)
        authors = [db.session.get(User, author_id) for author_id in author_ids]
        for i in range(count):
            comment = services.add_comment(need, authors[i % 3], f"Commentaire {i}")
            if i % 5 == 0:
                comment.hidden, comment.hidden_reason = True, "Hors sujet"
        db.session.commit()


def _queries(app, client, path: str) -> int:
    with count_queries(app) as statements:
        response = client.get(path)
        assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("who", ["anonymous", "resident", "facilitator"])
def test_list_page_runs_the_same_queries_with_5_and_60_needs(app, client, world, who, record_property):
    author = make_user(app)
    viewer = None
    if who == "resident":
        viewer = make_user(app, home_territory_id=world.commune.id)
    elif who == "facilitator":
        viewer = make_user(app, role="facilitator", territory_id=world.commune.id)
    if viewer is not None:
        log_in(client, viewer.email)
    _add_needs(app, world.quartier.id, author.id, 5, viewer.id if viewer else None)
    paths = ["/besoins", f"/besoins?territory_id={world.commune.id}&sort=soutiens&q=besoin"]
    few = [_queries(app, client, p) for p in paths]
    _add_needs(app, world.quartier.id, author.id, 55, viewer.id if viewer else None)
    many = [_queries(app, client, p) for p in paths]
    # The same queries, and the total counted once the page is full (rendering.paginate).
    assert many == [n + 1 for n in few]
    assert max(many) <= 12
    record_property("list_queries", many)
    print(f"\nlist page as {who}: {few} queries with 5 needs, {many} with 60")


@pytest.mark.parametrize("who", ["anonymous", "resident", "facilitator"])
def test_detail_page_runs_the_same_queries_with_5_and_60_comments(app, client, world, who, record_property):
    viewer = None
    if who == "resident":
        viewer = make_user(app, home_territory_id=world.commune.id)
    elif who == "facilitator":
        viewer = make_user(app, role="facilitator", territory_id=world.commune.id)
    if viewer is not None:
        log_in(client, viewer.email)
    need_id = _add_needs(app, world.quartier.id, make_user(app).id, 1)[0]
    _add_comments(app, need_id, 4)  # 5 with the one _add_needs wrote
    few = _queries(app, client, f"/besoins/{need_id}")
    _add_comments(app, need_id, 55)
    many = _queries(app, client, f"/besoins/{need_id}")
    last_page = _queries(app, client, f"/besoins/{need_id}?page=3")
    # The same queries, and the total counted when the page is full (rendering.paginate); the
    # last page, not full, knows it without counting.
    assert many == few + 1 and last_page == few
    assert many <= 12
    record_property("detail_queries", many)
    print(f"\ndetail page as {who}: {few} queries with 5 comments, {many} with 60")


def test_the_detail_page_reads_the_need_its_timeline_and_its_comments_and_nothing_of_their_authors_roles(
        app, client, world):
    """Authors are shown by their pseudonym: their roles (loaded with a user by default) are not
    read — a facilitator's comment included."""
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
    need_id = _add_needs(app, world.quartier.id, facilitator.id, 1)[0]
    _add_comments(app, need_id, 3)
    with count_queries(app) as statements:
        page = client.get(f"/besoins/{need_id}")
    assert page.status_code == 200 and "Commentaire 1" in page.get_data(as_text=True)
    assert [s for s in statements if "role_assignment" in s] == []
    # The need-page generation, the need with its author, the timeline, the comments (a page: no count).
    assert len(statements) <= 4
