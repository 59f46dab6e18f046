"""At 320 CSS pixels wide (WCAG 1.4.10, reflow) the pages fit without horizontal scrolling."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/inscription"])
def test_no_horizontal_scroll_at_320_px(site, path):
    site.page.set_viewport_size({"width": 320, "height": 640})
    site.goto(path)
    width = site.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{path} is {width}px wide at a 320px viewport"
