"""The needs area through the test client: submit (with the similar-needs step), browse, read,
support, comment, report, moderate, enter on someone's behalf, export — with and without htmx.

Assertions look for ids, URLs and the data itself rather than wording, so they hold in French and
in English (the French catalogue of these pages comes later)."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from civicsante.audit import AuditEntry
from civicsante.extensions import db
from civicsante.needs.models import Comment, Need, NeedCategory, Support
from tests.conftest import client_for, log_in
from tests.support.factories import make_comment, make_need, make_user
from tests.support.html import without_csrf

HTMX = {"HX-Request": "true"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _category_id(app, code="premier_recours") -> int:
    with app.app_context():
        return db.session.execute(select(NeedCategory.id).where(NeedCategory.code == code)).scalar_one()


def _need(app, need_id) -> Need:
    with app.app_context():
        need = db.session.get(Need, need_id)
        db.session.expunge(need)
        return need


def _audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def _need_form(app, territory_id, **overrides) -> dict:
    data = {"title": "Plus de pédiatre au centre-ville",
            "description": "Depuis le départ du docteur, les familles vont à 40 km.",
            "category_id": str(_category_id(app)), "territory_id": str(territory_id),
            "public_concerned": "familles", "consent": "y"}
    data.update(overrides)
    return data


@pytest.fixture
def facilitator(app, world):
    """Facilitator of the commune (and so of its neighbourhood, world.quartier)."""
    return make_user(app, role="facilitator", territory_id=world.commune.id, home_territory_id=world.commune.id)


# Submitting -----------------------------------------------------------------------------------

def test_submit_with_errors_keeps_what_was_typed(app, client, world, login_as):
    login_as("resident")
    response = client.post("/besoins/nouveau", data=_need_form(app, world.quartier.id, description="", consent=""))
    html = _html(response)
    assert response.status_code == 422
    assert 'id="description-error"' in html and 'id="consent-error"' in html
    assert 'value="Plus de pédiatre au centre-ville"' in html
    assert 'class="error-summary"' in html

    # The service's own rule (a title of 5 characters at least) lands next to the title.
    response = client.post("/besoins/nouveau", data=_need_form(app, world.quartier.id, title="Abc", confirmed="1"))
    html = _html(response)
    assert response.status_code == 422
    assert 'id="title-error"' in html
    assert "Depuis le départ du docteur, les familles vont à 40 km." in html
    with app.app_context():
        assert db.session.execute(select(Need)).first() is None


def test_submit_publishes_the_need_under_the_pseudonym(app, client, world, login_as):
    resident = login_as("resident")
    response = client.post("/besoins/nouveau", data=_need_form(app, world.quartier.id))
    assert response.status_code == 303
    need_id = int(re.search(r"/besoins/(\d+)$", response.headers["Location"]).group(1))
    need = _need(app, need_id)
    assert need.author_id == resident.id and need.channel == "en_ligne" and need.public_concerned == "familles"
    page = _html(client.get(f"/besoins/{need_id}"))
    assert resident.pseudonym in page and resident.email not in page


def test_new_page_defaults_to_the_residents_territory_and_asks_anonymous_to_log_in(app, client, world, login_as):
    anonymous = client.get("/besoins/nouveau")
    assert anonymous.status_code == 302 and "/connexion?next=" in anonymous.headers["Location"]
    login_as("resident")  # lives in world.commune
    html = _html(client.get("/besoins/nouveau"))
    assert f'<option selected value="{world.commune.id}">' in html
    assert 'hx-get="/besoins/similaires"' in html


def test_similar_needs_come_as_a_confirmation_step_without_javascript(app, client, world, login_as):
    existing = make_need(app, territory_id=world.commune.id, title="Pas de médecin généraliste à Belrive")
    login_as("resident")
    data = _need_form(app, world.quartier.id, title="Medecin generaliste introuvable")
    response = client.post("/besoins/nouveau", data=data)
    html = _html(response)
    assert response.status_code == 200
    assert "Pas de médecin généraliste à Belrive" in html
    assert f'action="/besoins/{existing.id}/soutenir"' in html  # "support this one instead"
    assert '<input type="hidden" name="confirmed" value="1">' in html
    assert 'value="Medecin generaliste introuvable"' in html  # nothing typed is lost
    with app.app_context():
        assert db.session.execute(select(Need.id).where(Need.id != existing.id)).first() is None

    response = client.post("/besoins/nouveau", data={**data, "confirmed": "1"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.execute(select(Need.id).where(Need.id != existing.id)).first() is not None


def test_similar_needs_while_typing_are_an_htmx_partial(app, client, world):
    make_need(app, territory_id=world.quartier.id, title="Pas de médecin généraliste aux Tilleuls")
    make_need(app, territory_id=world.quartier.id, title="Trottoirs impraticables")
    url = f"/besoins/similaires?title=MEDECIN+generaliste&territory_id={world.quartier.id}"
    partial = client.get(url, headers=HTMX)
    full = client.get(url)
    assert partial.status_code == 200 and full.status_code == 200
    assert "<html" not in _html(partial) and "<html" in _html(full)
    assert "Pas de médecin généraliste aux Tilleuls" in _html(partial)
    assert "Trottoirs impraticables" not in _html(partial)
    assert _html(partial).strip() in _html(full)
    assert "HX-Request" in partial.headers["Vary"]
    assert _html(client.get("/besoins/similaires?title=", headers=HTMX)).strip() == ""


# Browsing -------------------------------------------------------------------------------------

def test_list_filters_by_territory_including_sub_territories_category_status_and_words(app, client, world):
    in_quartier = make_need(app, territory_id=world.quartier.id, title="Pas de médecin généraliste")
    elsewhere = make_need(app, territory_id=world.other_commune.id, title="Transport vers le CMP",
                          category_code="mobilite")
    accepted = make_need(app, territory_id=world.commune.id, title="Un centre de santé", status="retenu")

    html = _html(client.get(f"/besoins?territory_id={world.commune.id}"))
    assert in_quartier.title in html and accepted.title in html and elsewhere.title not in html

    html = _html(client.get(f"/besoins?category_id={_category_id(app, 'mobilite')}"))
    assert elsewhere.title in html and in_quartier.title not in html

    html = _html(client.get("/besoins?status=retenu"))
    assert accepted.title in html and in_quartier.title not in html

    # Case- and accent-insensitive words.
    html = _html(client.get("/besoins?q=MEDECIN+generaliste"))
    assert in_quartier.title in html and elsewhere.title not in html

    # Nonsense in the URL is ignored, not an error.
    assert client.get("/besoins?territory_id=abc&status=nimporte&sort=x&page=zz").status_code == 200


def test_list_sorts_by_supports_and_is_paginated(app, client, world):
    popular = make_need(app, territory_id=world.commune.id, title="Le besoin le plus soutenu", supports=2)
    for i in range(26):
        make_need(app, territory_id=world.commune.id, title=f"Besoin de la liste {i:02d}")
    html = _html(client.get("/besoins?sort=soutiens"))
    assert html.index(popular.title) < html.index("Besoin de la liste")
    first = _html(client.get("/besoins"))
    assert "Besoin de la liste 25" in first and popular.title not in first  # newest first
    assert 'rel="next"' in first
    second = _html(client.get("/besoins?page=2"))
    assert popular.title in second and "Besoin de la liste 25" not in second


def test_list_answers_the_results_partial_to_htmx_and_keeps_filters_in_the_url(app, client, world):
    make_need(app, territory_id=world.commune.id, title="Pas de dentiste")
    url = f"/besoins?q=dentiste&territory_id={world.commune.id}"
    full, partial = client.get(url), client.get(url, headers=HTMX)
    boosted = client.get(url, headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in _html(full) and "<html" not in _html(partial) and "<html" in _html(boosted)
    assert "Pas de dentiste" in _html(partial)
    assert _html(partial).strip() in _html(full)
    form = re.search(r'<form[^>]*class="filters"[^>]*>', _html(full)).group(0)
    assert 'method="get"' in form and 'hx-push-url="true"' in form and 'hx-target="#need-results"' in form
    assert 'value="dentiste"' in _html(full)


def test_moderation_link_is_shown_to_facilitators_only(app, client, world, facilitator):
    assert 'href="/moderation"' not in _html(client.get("/besoins"))
    assert 'href="/moderation"' in _html(client_for(app, facilitator).get("/besoins"))


def test_main_menu_links_to_the_needs(client):
    html = _html(client.get("/besoins"))
    assert '<a href="/besoins" aria-current="page">' in html


# Reading --------------------------------------------------------------------------------------

def test_need_page_escapes_html_and_makes_links_clickable(app, client, world):
    need = make_need(app, territory_id=world.quartier.id, title="Lien <b>gras</b>",
                     description="<script>alert(1)</script> voir https://www.ameli.fr/a?b=1&c=2. Merci")
    html = _html(client.get(f"/besoins/{need.id}"))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Lien &lt;b&gt;gras&lt;/b&gt;" in html
    assert ('<a href="https://www.ameli.fr/a?b=1&amp;c=2" rel="nofollow noopener">'
            'https://www.ameli.fr/a?b=1&amp;c=2</a>. Merci') in html


def test_need_page_shows_territory_category_supports_and_timeline(app, client, world, facilitator):
    need = make_need(app, territory_id=world.quartier.id, supports=2)
    fac = client_for(app, facilitator)
    fac.post(f"/besoins/{need.id}/statut", data={"status": "en_examen", "reason": "Vu en réunion du CLS"})
    html = _html(client.get(f"/besoins/{need.id}"))
    assert world.quartier.name in html
    assert '<p class="support-count"><strong>2</strong>' in html
    assert "Vu en réunion du CLS" in html
    assert html.count('class="status status--') >= 3  # current status + two timeline steps


def test_unknown_need_or_comment_is_404(client, login_as):
    assert client.get("/besoins/999999").status_code == 404
    login_as("resident")
    assert client.post("/besoins/999999/soutenir").status_code == 404
    assert client.get("/commentaires/999999/modifier").status_code == 404


def test_every_get_route_answers_with_and_without_htmx(app, client, world, facilitator):
    need = make_need(app, territory_id=world.quartier.id)
    comment = make_comment(app, need_id=need.id)
    fac = client_for(app, facilitator)
    urls = ["/besoins", f"/besoins/{need.id}", "/besoins/nouveau", "/besoins/similaires?title=besoin",
            f"/besoins/{need.id}/signaler", f"/commentaires/{comment.id}/signaler", "/moderation",
            f"/besoins/{need.id}/masquer", f"/commentaires/{comment.id}/masquer", f"/besoins/{need.id}/statut",
            f"/besoins/{need.id}/fusionner", "/besoins/saisie-assistee", f"/besoins/{need.id}/soutien-assiste",
            f"/besoins/export.csv?territory_id={world.commune.id}"]
    partials = {"/besoins", "/besoins/similaires?title=besoin"}
    for url in urls:
        for headers in ({}, HTMX):
            response = fac.get(url, headers=headers)
            assert response.status_code == 200, (url, headers)
            assert "HX-Request" in response.headers["Vary"]
            if url.startswith("/besoins/export.csv"):
                continue
            assert ("<html" in _html(response)) == (not headers or url not in partials), (url, headers)
    # The comment's author may edit it, with and without htmx.
    author = client_for(app, _author_of(app, comment))
    for headers in ({}, HTMX):
        assert author.get(f"/commentaires/{comment.id}/modifier", headers=headers).status_code == 200


def _author_of(app, comment):
    with app.app_context():
        from civicsante.accounts.models import User
        user = db.session.get(User, comment.author_id)
        db.session.expunge(user)
        return user


# Supports and following -----------------------------------------------------------------------

def test_support_and_withdraw_without_javascript(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id)
    login_as("resident")
    response = client.post(f"/besoins/{need.id}/soutenir")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/besoins/{need.id}")
    assert _need(app, need.id).supports_count == 1
    client.post(f"/besoins/{need.id}/soutenir")  # twice counts once
    assert _need(app, need.id).supports_count == 1
    html = _html(client.get(f"/besoins/{need.id}"))
    assert f'action="/besoins/{need.id}/retirer-soutien"' in html
    assert client.post(f"/besoins/{need.id}/retirer-soutien").status_code == 303
    assert _need(app, need.id).supports_count == 0


def test_support_with_htmx_swaps_the_box_in_place(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id, supports=1)
    login_as("resident")
    response = client.post(f"/besoins/{need.id}/soutenir", headers=HTMX)
    html = _html(response)
    assert response.status_code == 200 and "<html" not in html
    assert "<strong>2</strong>" in html and f'hx-post="/besoins/{need.id}/retirer-soutien"' in html
    assert f'id="support-button-{need.id}"' in html  # same id in both states: focus stays on it
    response = client.post(f"/besoins/{need.id}/retirer-soutien", headers=HTMX)
    html = _html(response)
    assert "<strong>1</strong>" in html and f'hx-post="/besoins/{need.id}/soutenir"' in html
    # The page wraps exactly what htmx swaps. The CSRF token is signed with the current second,
    # so two requests may carry different tokens: compare the markup without them.
    page = _html(client.get(f"/besoins/{need.id}"))
    assert f'id="support-{need.id}"' in page
    assert without_csrf(html).strip() in without_csrf(page)


def test_anonymous_visitors_read_and_are_asked_to_log_in_to_contribute(app, client, world):
    need = make_need(app, territory_id=world.quartier.id)
    html = _html(client.get(f"/besoins/{need.id}"))
    assert re.search(rf'href="/connexion\?next=(/|%2F)besoins(/|%2F){need.id}"', html)
    response = client.post(f"/besoins/{need.id}/soutenir")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert _need(app, need.id).supports_count == 0


def test_a_hidden_need_takes_no_support(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id)
    with app.app_context():
        db.session.get(Need, need.id).hidden = True
        db.session.commit()
    login_as("resident")
    response = client.post(f"/besoins/{need.id}/soutenir", headers=HTMX)
    assert response.status_code == 422 and 'role="alert"' in _html(response)
    assert _need(app, need.id).supports_count == 0


def test_follow_and_unfollow(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id)
    login_as("resident")
    assert client.post(f"/besoins/{need.id}/suivre").status_code == 303
    assert f'action="/besoins/{need.id}/ne-plus-suivre"' in _html(client.get(f"/besoins/{need.id}"))
    assert client.post(f"/besoins/{need.id}/ne-plus-suivre").status_code == 303
    assert f'action="/besoins/{need.id}/suivre"' in _html(client.get(f"/besoins/{need.id}"))


# Comments -------------------------------------------------------------------------------------

def test_comment_edit_within_15_minutes_and_delete(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id)
    login_as("resident")
    empty = client.post(f"/besoins/{need.id}/commentaires", data={"body": "  "})
    assert empty.status_code == 422 and 'id="body-error"' in _html(empty)
    response = client.post(f"/besoins/{need.id}/commentaires", data={"body": "Moi aussi, <i>depuis</i> 2023."})
    assert response.status_code == 303
    with app.app_context():
        comment_id = db.session.execute(select(Comment.id)).scalar_one()
    html = _html(client.get(f"/besoins/{need.id}"))
    assert "Moi aussi, &lt;i&gt;depuis&lt;/i&gt; 2023." in html
    assert f'href="/commentaires/{comment_id}/modifier"' in html

    assert client.get(f"/commentaires/{comment_id}/modifier").status_code == 200
    assert client.post(f"/commentaires/{comment_id}/modifier", data={"body": "Corrigé."}).status_code == 303
    assert "Corrigé." in _html(client.get(f"/besoins/{need.id}"))

    # Another person may neither edit nor delete it.
    other = client_for(app, make_user(app))
    assert other.get(f"/commentaires/{comment_id}/modifier").status_code == 403
    assert other.post(f"/commentaires/{comment_id}/supprimer").status_code == 403

    # 15 minutes later the author cannot edit any more (the link is gone too), but may delete.
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        comment.created_at = comment.created_at - timedelta(minutes=16)
        db.session.commit()
    assert client.post(f"/commentaires/{comment_id}/modifier", data={"body": "Trop tard"}).status_code == 403
    assert f'href="/commentaires/{comment_id}/modifier"' not in _html(client.get(f"/besoins/{need.id}"))
    assert client.post(f"/commentaires/{comment_id}/supprimer").status_code == 303
    html = _html(client.get(f"/besoins/{need.id}"))
    assert "Corrigé." not in html and f'id="comment-{comment_id}"' in html
    assert _need(app, need.id).comments_count == 0


def test_comments_are_paginated_and_a_new_one_lands_on_the_last_page(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id)
    author = make_user(app)
    with app.app_context():
        from civicsante.accounts.models import User
        from civicsante.needs import services
        for i in range(26):
            services.add_comment(db.session.get(Need, need.id), db.session.get(User, author.id), f"Avis {i:02d}")
        db.session.commit()
    first = _html(client.get(f"/besoins/{need.id}"))
    assert "Avis 00" in first and "Avis 25" not in first and 'rel="next"' in first
    assert "Avis 25" in _html(client.get(f"/besoins/{need.id}?page=2"))
    login_as("resident")
    response = client.post(f"/besoins/{need.id}/commentaires", data={"body": "Le dernier"})
    assert "page=2" in response.headers["Location"] and response.headers["Location"].endswith("#comments")


# Reports --------------------------------------------------------------------------------------

def test_reports_hide_a_need_after_the_threshold_pending_review(app, client, world):
    need = make_need(app, territory_id=world.quartier.id, description="Un texte qui sera signalé.")
    first = client_for(app, make_user(app))
    assert first.get(f"/besoins/{need.id}/signaler").status_code == 200
    refused = first.post(f"/besoins/{need.id}/signaler", data={"reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in _html(refused)
    for reporter in [first] + [client_for(app, make_user(app)) for _ in range(2)]:
        assert reporter.post(f"/besoins/{need.id}/signaler", data={"reason": "Propos injurieux"}).status_code == 303
    hidden = _need(app, need.id)
    assert hidden.hidden and hidden.pending_review and hidden.report_count == 3
    html = _html(client.get(f"/besoins/{need.id}"))
    assert 'class="moderation-notice"' in html and "Un texte qui sera signalé." not in html
    assert need.title not in html  # the title may be what was reported
    assert "moderation.auto_hide" in _audit_actions(app)
    assert need.title not in _html(client.get("/besoins"))


def test_a_comment_can_be_reported(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id)
    comment = make_comment(app, need_id=need.id)
    login_as("resident")
    assert client.post(f"/commentaires/{comment.id}/signaler", data={"reason": "Publicité"}).status_code == 303
    with app.app_context():
        assert db.session.get(Comment, comment.id).report_count == 1


@pytest.mark.parametrize("setting,hidden", [(1, True), (5, False)])
def test_the_auto_hide_threshold_is_a_setting(app, world, setting, hidden):
    app.config["NEED_AUTO_HIDE_REPORTS"] = setting
    need = make_need(app, territory_id=world.quartier.id)
    reporter = client_for(app, make_user(app))
    reporter.post(f"/besoins/{need.id}/signaler", data={"reason": "Hors sujet"})
    assert _need(app, need.id).hidden is hidden


# Moderation -----------------------------------------------------------------------------------

def _moderation_urls(need_id, comment_id):
    return [("get", "/moderation", None), ("get", f"/besoins/{need_id}/masquer", None),
            ("post", f"/besoins/{need_id}/masquer", {"reason": "Abus"}),
            ("post", f"/besoins/{need_id}/retablir", {}),
            ("post", f"/commentaires/{comment_id}/masquer", {"reason": "Abus"}),
            ("post", f"/commentaires/{comment_id}/retablir", {}),
            ("get", f"/besoins/{need_id}/statut", None),
            ("post", f"/besoins/{need_id}/statut", {"status": "en_examen"}),
            ("get", f"/besoins/{need_id}/fusionner", None),
            ("post", f"/besoins/{need_id}/fusionner", {"target_id": need_id}),
            ("get", f"/besoins/{need_id}/soutien-assiste", None)]


def test_a_resident_cannot_moderate(app, client, world, login_as):
    need = make_need(app, territory_id=world.quartier.id)
    comment = make_comment(app, need_id=need.id)
    login_as("resident")
    for method, url, data in _moderation_urls(need.id, comment.id):
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert f'href="/besoins/{need.id}/statut"' not in _html(client.get(f"/besoins/{need.id}"))
    assert _need(app, need.id).hidden is False


def test_a_facilitator_of_another_territory_cannot_moderate_this_one(app, client, world):
    need = make_need(app, territory_id=world.quartier.id)
    comment = make_comment(app, need_id=need.id)
    other = make_user(app, role="facilitator", territory_id=world.other_commune.id)
    reporter = client_for(app, make_user(app))
    reporter.post(f"/besoins/{need.id}/signaler", data={"reason": "Doublon injurieux"})
    log_in(client, other.email)
    for method, url, data in _moderation_urls(need.id, comment.id)[1:]:
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert client.get("/moderation").status_code == 200
    assert need.title not in _html(client.get("/moderation"))  # not in their queue either
    assert client.get(f"/besoins/export.csv?territory_id={world.commune.id}").status_code == 403
    assert _need(app, need.id).status == "nouveau"


def test_facilitator_sees_the_queue_and_hides_with_a_public_reason(app, client, world, facilitator):
    need = make_need(app, territory_id=world.quartier.id, description="Texte problématique ici.")
    comment = make_comment(app, need_id=need.id, body="Commentaire signalé ici.")
    quiet = make_need(app, territory_id=world.quartier.id, title="Besoin sans signalement")
    reporter = client_for(app, make_user(app))
    reporter.post(f"/besoins/{need.id}/signaler", data={"reason": "Nomme un patient"})
    reporter.post(f"/commentaires/{comment.id}/signaler", data={"reason": "Insulte"})
    log_in(client, facilitator.email)
    queue = _html(client.get("/moderation"))
    assert need.title in queue and "Nomme un patient" in queue and "Insulte" in queue
    assert "Commentaire signalé ici." in queue and quiet.title not in queue

    refused = client.post(f"/besoins/{need.id}/masquer", data={"reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in _html(refused)
    response = client.post(f"/besoins/{need.id}/masquer", data={"reason": "Données de santé identifiantes",
                                                               "next": "/moderation"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/moderation")
    assert client.post(f"/commentaires/{comment.id}/masquer", data={"reason": "Propos injurieux"}).status_code == 303
    assert need.title not in _html(client.get("/moderation"))  # reports resolved

    public = _html(app.test_client().get(f"/besoins/{need.id}"))
    assert "Données de santé identifiantes" in public and 'class="moderation-notice"' in public
    assert "Texte problématique ici." not in public
    assert "Propos injurieux" in public and "Commentaire signalé ici." not in public
    # The moderator still reads the text, with the notice.
    assert "Texte problématique ici." in _html(client.get(f"/besoins/{need.id}"))

    assert client.post(f"/besoins/{need.id}/retablir").status_code == 303
    assert client.post(f"/commentaires/{comment.id}/retablir").status_code == 303
    public = _html(app.test_client().get(f"/besoins/{need.id}"))
    assert "Texte problématique ici." in public and "Commentaire signalé ici." in public
    actions = _audit_actions(app)
    assert actions.count("moderation.hide") == 2 and actions.count("moderation.restore") == 2


def test_facilitator_sets_statuses_along_the_allowed_transitions(app, client, world, facilitator):
    need = make_need(app, territory_id=world.quartier.id)
    log_in(client, facilitator.email)
    form = _html(client.get(f"/besoins/{need.id}/statut"))
    offered = set(re.findall(r'<option[^>]*value="(\w+)"', form))
    assert offered == {"en_examen", "retenu", "non_retenu"}
    assert client.post(f"/besoins/{need.id}/statut", data={"status": "realise"}).status_code == 422
    refused = client.post(f"/besoins/{need.id}/statut", data={"status": "non_retenu", "reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in _html(refused)
    response = client.post(f"/besoins/{need.id}/statut",
                           data={"status": "non_retenu", "reason": "Relève de la compétence de l'ARS"})
    assert response.status_code == 303
    assert _need(app, need.id).status == "non_retenu"
    assert "Relève de la compétence de l&#39;ARS" in _html(app.test_client().get(f"/besoins/{need.id}"))
    assert "need.status" in _audit_actions(app)


def test_facilitator_merges_a_duplicate_which_then_redirects(app, client, world, facilitator):
    kept = make_need(app, territory_id=world.commune.id, title="Pas de médecin généraliste à Belrive", supports=1)
    duplicate = make_need(app, territory_id=world.quartier.id, title="Plus de médecin généraliste", supports=2)
    elsewhere = make_need(app, territory_id=world.other_commune.id, title="Médecin généraliste à Montclair")
    log_in(client, facilitator.email)
    page = _html(client.get(f"/besoins/{duplicate.id}/fusionner"))
    assert f'value="{kept.id}"' in page and f'value="{elsewhere.id}"' not in page
    by_number = _html(client.get(f"/besoins/{duplicate.id}/fusionner?q={kept.id}"))
    assert f'value="{kept.id}"' in by_number
    by_words = _html(client.get(f"/besoins/{duplicate.id}/fusionner?q=belrive"))
    assert f'value="{kept.id}"' in by_words

    assert client.post(f"/besoins/{duplicate.id}/fusionner", data={}).status_code == 422
    # A need of a territory the facilitator does not moderate cannot be the one kept.
    assert client.post(f"/besoins/{duplicate.id}/fusionner", data={"target_id": elsewhere.id}).status_code == 403
    response = client.post(f"/besoins/{duplicate.id}/fusionner", data={"target_id": kept.id, "reason": "Même besoin"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/besoins/{kept.id}")
    assert _need(app, kept.id).supports_count == 3

    visitor = app.test_client()
    response = visitor.get(f"/besoins/{duplicate.id}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/besoins/{kept.id}")
    html = _html(visitor.get(response.headers["Location"]))
    assert 'class="flash flash--info"' in html and duplicate.title in html
    assert duplicate.title not in _html(visitor.get("/besoins"))
    assert "need.merge" in _audit_actions(app)


# Assisted entry and export --------------------------------------------------------------------

def test_assisted_entry_for_a_person_without_an_account(app, client, world, facilitator):
    log_in(client, facilitator.email)
    page = _html(client.get("/besoins/saisie-assistee"))
    assert world.quartier.name in page and world.other_commune.name not in page  # their territories only
    data = _need_form(app, world.quartier.id, title="Pas de transport vers le CMP", assisted_name="Jeanne Dupont",
                      assisted_contact="06 00 00 00 00", channel="permanence")
    missing = client.post("/besoins/saisie-assistee", data={**data, "assisted_name": ""})
    assert missing.status_code == 422 and 'id="assisted_name-error"' in _html(missing)
    response = client.post("/besoins/saisie-assistee", data=data)
    assert response.status_code == 303
    with app.app_context():
        need = db.session.execute(select(Need).where(Need.title == "Pas de transport vers le CMP")).scalar_one()
        assert (need.channel, need.entered_by_id, need.author_id) == ("permanence", facilitator.id, None)
        assert need.assisted_name == "Jeanne Dupont" and need.consent_at is not None
        need_id = need.id
    public = _html(app.test_client().get(f"/besoins/{need_id}"))
    assert 'class="assisted"' in public
    assert "recueilli lors d'une permanence" in public or "collected at a drop-in session" in public
    assert "Jeanne Dupont" not in public and "06 00 00 00 00" not in public
    assert facilitator.pseudonym not in public
    assert "need.entered_on_behalf" in _audit_actions(app)


def test_assisted_entry_for_an_existing_account_and_refusals(app, client, world, facilitator):
    person = make_user(app, email="marcel@example.org", pseudonym="Marcel")
    log_in(client, facilitator.email)
    data = _need_form(app, world.quartier.id, person="nobody@example.org", channel="telephone")
    unknown = client.post("/besoins/saisie-assistee", data=data)
    assert unknown.status_code == 422 and 'id="person-error"' in _html(unknown)
    assert client.post("/besoins/saisie-assistee", data={**data, "person": "MARCEL"}).status_code == 303
    with app.app_context():
        need = db.session.execute(select(Need)).scalar_one()
        assert (need.author_id, need.channel, need.assisted_name) == (person.id, "telephone", None)
    assert "Marcel" not in _html(app.test_client().get(f"/besoins/{need.id}"))
    # Outside their territories the service refuses: 403.
    other = _need_form(app, world.other_commune.id, person="marcel@example.org", channel="papier")
    assert client.post("/besoins/saisie-assistee", data=other).status_code == 403
    resident = client_for(app, make_user(app))
    assert resident.get("/besoins/saisie-assistee").status_code == 403


def test_support_on_behalf_is_recorded_with_its_channel(app, client, world, facilitator):
    need = make_need(app, territory_id=world.quartier.id)
    person = make_user(app, email="lucie@example.org")
    log_in(client, facilitator.email)
    refused = client.post(f"/besoins/{need.id}/soutien-assiste", data={"person": "lucie@example.org",
                                                                       "channel": "telephone"})
    assert refused.status_code == 422 and 'id="consent-error"' in _html(refused)
    assert client.post(f"/besoins/{need.id}/soutien-assiste", data={
        "person": "lucie@example.org", "channel": "telephone", "consent": "y"}).status_code == 303
    assert client.post(f"/besoins/{need.id}/soutien-assiste", data={
        "assisted_name": "Paul, rencontré au marché", "channel": "permanence", "consent": "y"}).status_code == 303
    with app.app_context():
        supports = db.session.execute(select(Support).order_by(Support.id)).scalars().all()
        assert [(s.user_id, s.channel, s.entered_by_id) for s in supports] == [
            (person.id, "telephone", facilitator.id), (None, "permanence", facilitator.id)]
    assert _need(app, need.id).supports_count == 2
    assert "Paul, rencontré au marché" not in _html(app.test_client().get(f"/besoins/{need.id}"))
    assert _audit_actions(app).count("need.supported_on_behalf") == 2


def test_export_is_csv_without_personal_data_for_the_territorys_facilitators(app, client, world, facilitator):
    author = make_user(app, email="autrice@example.org", pseudonym="Autrice Secrète")
    inside = make_need(app, author_id=author.id, territory_id=world.quartier.id, title="=Besoin piège",
                       description="Description privée à ne pas exporter", supports=2)
    make_comment(app, need_id=inside.id)
    outside = make_need(app, territory_id=world.other_commune.id, title="Besoin de Montclair")
    log_in(client, facilitator.email)
    response = client.get(f"/besoins/export.csv?territory_id={world.commune.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _html(response)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2 and len(rows[0]) == 8
    assert rows[1][0] == str(inside.id) and rows[1][1] == "'=Besoin piège"  # no formula injection
    assert rows[1][3] == world.quartier.name and rows[1][5:7] == ["2", "1"]
    for private in ("Autrice Secrète", "autrice@example.org", "Description privée", outside.title):
        assert private not in text
    assert client.get("/besoins/export.csv").status_code == 404
    assert client.get(f"/besoins/export.csv?territory_id={world.other_commune.id}").status_code == 403
    resident = client_for(app, make_user(app))
    assert resident.get(f"/besoins/export.csv?territory_id={world.commune.id}").status_code == 403
