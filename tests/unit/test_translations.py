"""The French catalogue is complete, consistent with the sources, and actually used.

French is the default language of the site, so a string added to a template or to the Python code
without a French translation would show up in English. The first test extracts the messages
afresh from the sources (same method map and keywords as ``make messages``) and fails naming every
string that has no French translation yet: run ``make messages``, translate the new entries in
``civicsante/translations/fr/LC_MESSAGES/messages.po``, and it passes again.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "civicsante" / "translations"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as `pybabel extract -k _l -k lazy_gettext`

PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*(?:\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:3])


@pytest.fixture(scope="module")
def sources() -> Catalog:
    """The messages the sources contain right now (what a fresh ``pybabel extract`` would write)."""
    with BABEL_CFG.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename=str(BABEL_CFG))
    catalog = Catalog(charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


@pytest.fixture(scope="module")
def french() -> Catalog:
    with FRENCH_PO.open("rb") as f:
        return read_po(f, locale="fr")


def _translated(message) -> bool:
    return message is not None and not message.fuzzy and all(s and s.strip() for s in _strings(message))


def test_sources_are_found(sources):
    # Guards the test below against an extraction that silently finds nothing.
    assert len(sources) > 100
    assert "Log in" in sources and "Create an account" in sources


def test_every_message_of_the_sources_has_a_french_translation(sources, french):
    missing = []
    for message in sources:
        if not message.id:
            continue
        translation = french.get(message.id, context=message.context)
        if not _translated(translation):
            state = "absent from messages.po" if translation is None else (
                "fuzzy" if translation.fuzzy else "empty")
            missing.append(f"  {_ids(message)[0]!r} ({state}; {_where(message)})")
        elif isinstance(message.id, tuple) and not isinstance(translation.id, tuple):
            missing.append(f"  {message.id[0]!r} (now a plural: run `make messages`; {_where(message)})")
    assert not missing, (
        f"{len(missing)} message(s) without a French translation — run `make messages`, then "
        f"translate them in {FRENCH_PO.relative_to(ROOT)}:\n" + "\n".join(missing)
    )


def test_translations_keep_the_same_placeholders(french):
    wrong = []
    for message in french:
        if not message.id or not _translated(message):
            continue
        expected = {m.group(0) for text in _ids(message) for m in PLACEHOLDER.finditer(text)}
        forms = [{m.group(0) for m in PLACEHOLDER.finditer(s)} for s in _strings(message)]
        if isinstance(message.id, tuple):
            # A plural form may leave out a placeholder, but together they use exactly the same.
            ok = all(form <= expected for form in forms) and set().union(*forms) == expected
        else:
            ok = forms[0] == expected
        if not ok:
            wrong.append(f"  {_ids(message)[0]!r}: expects {sorted(expected)}, "
                         f"translation has {[sorted(f) for f in forms]}")
    assert not wrong, "Placeholders differ between English and French:\n" + "\n".join(wrong)


def test_translations_can_be_formatted(french):
    # Jinja's gettext (newstyle, as Flask-Babel installs it) always applies "% variables", even with
    # none: in a template, a literal percent sign must be written "%%" ("200 %%").
    broken = []
    for message in french:
        if not message.id or not _translated(message):
            continue
        from_template = any(path.startswith("templates/") for path, _ in message.locations)
        if not (from_template or message.python_format):
            continue
        for text in _strings(message):
            if "%" in PLACEHOLDER.sub("", text).replace("%%", ""):
                broken.append(f"  {text!r}: a lone % (write %% for a percent sign)")
                continue
            try:
                text % {m.group(1): 1 for m in PLACEHOLDER.finditer(text)}
            except (TypeError, ValueError, KeyError) as error:
                broken.append(f"  {text!r}: {error}")
    assert not broken, "These translations break when formatted:\n" + "\n".join(broken)


def test_french_catalogue_compiles(tmp_path, french):
    errors = [f"  {message.id!r}: {error}" for message, errs in french.check() for error in errs]
    assert not errors, "messages.po has errors:\n" + "\n".join(errors)
    assert french.plural_forms == "nplurals=2; plural=(n > 1);"
    mo = tmp_path / "fr" / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True)
    buffer = io.BytesIO()
    write_mo(buffer, french)
    mo.write_bytes(buffer.getvalue())
    compiled = Translations.load(str(tmp_path), ["fr"])
    assert compiled.gettext("Log in") == "Se connecter"
    assert compiled.ngettext("%(num)s account", "%(num)s accounts", 1) == "%(num)s compte"
    assert compiled.ngettext("%(num)s account", "%(num)s accounts", 2) == "%(num)s comptes"


def test_pages_are_in_french_by_default_and_in_english_on_request(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Se connecter" in page and "Créer un compte" in page

    response = client.post("/langue", data={"lang": "en", "next": "/"})
    assert response.status_code == 303

    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Create an account" in page
    assert "Se connecter" not in page


def test_the_request_translations_follow_force_locale_and_the_next_request(app):
    """The translations are looked up once per request (civicsante.extensions._RequestDomain),
    yet an e-mail written in its reader's language inside a French request is in that language,
    the page goes on in French afterwards, and the next request in English is in English."""
    from flask import render_template_string, session
    from flask_babel import force_locale, gettext, lazy_gettext

    label = lazy_gettext("Log in")
    with app.test_request_context("/"):
        assert gettext("Log in") == "Se connecter"
        assert render_template_string("{{ _('Log in') }}") == "Se connecter"
        with force_locale("en"):
            assert gettext("Log in") == "Log in"
            assert str(label) == "Log in"
            assert render_template_string("{{ _('Log in') }}") == "Log in"
        assert gettext("Log in") == "Se connecter"
        assert str(label) == "Se connecter"
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert gettext("Log in") == "Log in"
        assert render_template_string("{{ ngettext('%(num)s need', '%(num)s needs', 2) }}") == "2 needs"
