"""Pages load app.min.css, the minified copy of app.css: it must say the same as the source."""
from __future__ import annotations

from pathlib import Path

import rcssmin

CSS = Path(__file__).resolve().parents[2] / "civicsante" / "static" / "css"


def test_the_minified_stylesheet_is_the_current_app_css():
    source = (CSS / "app.css").read_text()
    assert (CSS / "app.min.css").read_text() == rcssmin.cssmin(source) + "\n", \
        "app.css changed: run `make css` to refresh app.min.css"


def test_every_page_links_the_minified_stylesheet(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/css/app.min.css" in page and "/static/css/app.css" not in page
    served = client.get("/static/css/app.min.css")
    assert served.status_code == 200 and b".error-summary" in served.data
