"""The ``linkify`` filter: people's plain text shown with every character escaped and only
http(s) addresses made into links."""
from __future__ import annotations

import pytest

from civicsante.jinja import linkify


@pytest.mark.parametrize("text,html", [
    ("", ""),
    ("<b>gras</b> & co", "&lt;b&gt;gras&lt;/b&gt; &amp; co"),
    ("voir https://ameli.fr/a?b=1&c=2.",
     'voir <a href="https://ameli.fr/a?b=1&amp;c=2" rel="nofollow noopener">https://ameli.fr/a?b=1&amp;c=2</a>.'),
    ("(site : http://x.fr/p)", '(site : <a href="http://x.fr/p" rel="nofollow noopener">http://x.fr/p</a>)'),
    ("http://x.fr/wiki_(a)", '<a href="http://x.fr/wiki_(a)" rel="nofollow noopener">http://x.fr/wiki_(a)</a>'),
    # Quotes end an address: nothing typed can add an attribute to the link.
    ('http://x.fr/"onmouseover="alert(1)',
     '<a href="http://x.fr/" rel="nofollow noopener">http://x.fr/</a>&#34;onmouseover=&#34;alert(1)'),
    ("javascript:alert(1) ftp://x.fr https://", "javascript:alert(1) ftp://x.fr https://"),
])
def test_linkify(text, html):
    assert str(linkify(text)) == html
