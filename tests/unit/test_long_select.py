"""LongSelect writes the same select box as WTForms' Select, faster, and its kept markup follows
the choices and the language."""
from __future__ import annotations

from flask_babel import force_locale, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.widgets import Select

from civicsante.blueprints.account.forms import _optional_int
from civicsante.blueprints.forms import LongSelect


class _Form(FlaskForm):
    class Meta:
        csrf = False

    plain = SelectField("Territoire", coerce=_optional_int, validate_choice=False, widget=Select())
    fast = SelectField("Territoire", coerce=_optional_int, validate_choice=False, widget=LongSelect())


def _form(choices, selected):
    form = _Form(data={"plain": selected, "fast": selected})
    form.plain.choices = form.fast.choices = choices
    return form


def test_same_markup_as_select_with_the_selected_option_and_escaped_labels(app):
    choices = [("", "Tous"), (1, "Saint-Denis (commune)"), (2, "L'Île <Nord> & \"Sud\"")]
    with app.test_request_context("/"):
        for selected in (None, 1, 2):
            form = _form(choices, selected)
            plain = str(form.plain(id="x")).replace('name="plain"', "")
            fast = str(form.fast(id="x")).replace('name="fast"', "")
            assert fast == plain
        assert str(_form(choices, 2).fast()).count("selected") == 1
        assert "&lt;Nord&gt; &amp; &#34;Sud&#34;" in str(_form(choices, 2).fast())


def test_kept_markup_follows_new_choices_and_the_language(app):
    with app.test_request_context("/"):
        first = str(_form([(1, "Saint-Denis (commune)")], 1).fast())
        renamed = str(_form([(1, "Saint-Denis-la-Plaine (commune)")], 1).fast())
        assert "Saint-Denis (commune)" in first and "Saint-Denis-la-Plaine (commune)" in renamed
        lazy = [("", lazy_gettext("All territories"))]
        assert "Tous les territoires" in str(_form(lazy, None).fast())
        with force_locale("en"):
            assert "All territories" in str(_form(lazy, None).fast())
        assert "Tous les territoires" in str(_form(lazy, None).fast())
