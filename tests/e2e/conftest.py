"""Browser fixtures: the app served for real on 127.0.0.1, Debian's Chromium driven by Playwright,
and a ``site`` that checks every page it shows with axe-core and watches the console.

- ``live_app`` / ``live_server``: the app with real CSRF and plain-http cookies, served by
  werkzeug in a thread on a free port; tables emptied afterwards.
- ``browser`` (session) and ``page`` (one fresh context per test, French locale).
- ``site``: ``site.goto(path)`` and ``site.navigate(action)`` wait for the page the action
  shows (a full load or an htmx-boosted swap) and run ``axe_check`` on it. The page itself
  reports every page it shows (a script injected by the browser, not by the site, so the CSP
  does not apply to it); a test that shows a page without an axe check fails, and so does one
  whose page logs a JavaScript error or a Content-Security-Policy violation.

Nothing here reaches the internet: the only URL visited is the live server's.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import app_on_empty_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NAVIGATION_TIMEOUT_S = 10

# Injected by Playwright before any page script (CDP, outside the page's CSP). Tells the test
# each time a page is shown: a document loaded, or a body swapped by an hx-boost request.
_REPORTER = """
(() => {
  const shown = () => window.__e2ePageShown && window.__e2ePageShown(location.href);
  document.addEventListener('DOMContentLoaded', shown);
  document.addEventListener('htmx:afterSettle', (event) => {
    const d = event.detail || {};
    if (d.boosted || event.target === document.body) shown();
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__e2eCspViolation && window.__e2eCspViolation(
      `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} in ${event.sourceFile || location.href}`);
  });
})();
"""

# Chromium reports an HTTP error answer as a console error; a 4xx for a page is what the app
# means to answer (422 for a form with errors), so it is not a script error. A missing static
# file is a problem all the same.
_EXPECTED_HTTP_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")


@pytest.fixture(scope="session")
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_check(page, axe_source: str) -> None:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page as it is now; fail on any violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)  # CDP evaluation: not subject to the page's CSP
    violations = page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r =>
             r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.map(n => n.target.join(' '))})))""",
        AXE_TAGS,
    )
    if violations:
        lines = [f"axe: {len(violations)} violation(s) on {page.url}"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {target}" for target in v["nodes"])
        pytest.fail("\n".join(lines), pytrace=False)


# --- The app, served ------------------------------------------------------------------------

@pytest.fixture
def live_app(_migrated, mailbox_server):
    """The app as the live server runs it; use it with the factories (``make_world(live_app)``)."""
    with app_on_empty_database(_migrated, mailbox_server.port, SESSION_COOKIE_SECURE=False,
                               WTF_CSRF_ENABLED=True) as app:
        yield app


@pytest.fixture
def live_server(live_app):
    """Base URL of ``live_app`` served over http on 127.0.0.1 (port chosen by the system)."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


# --- The browser ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium) "
                    "to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="fr-FR", base_url=live_server, accept_downloads=True)
    context.set_default_timeout(NAVIGATION_TIMEOUT_S * 1000)
    # Only the live server exists for these tests: any other host is refused, never fetched.
    context.route(re.compile(r"^(?!" + re.escape(live_server) + r"(/|$))"), lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


@dataclass
class Site:
    """The page plus the bookkeeping that makes an unchecked page or a script error fail."""

    page: object
    axe_source: str
    base_url: str
    shown: list[str] = field(default_factory=list)  # every page shown, in order
    checked: int = 0  # how many of ``shown`` an axe check has covered
    problems: list[str] = field(default_factory=list)  # script errors, CSP violations

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str):
        return self.navigate(lambda: self.page.goto(self.url(path)))

    def navigate(self, action):
        """Do ``action`` (a click, a key press, a goto…), wait for the page it shows, and check it."""
        before = len(self.shown)
        result = action()
        deadline = time.monotonic() + NAVIGATION_TIMEOUT_S
        while len(self.shown) == before:
            if time.monotonic() > deadline:
                pytest.fail(f"no new page shown after the action (still on {self.page.url})", pytrace=False)
            self.page.wait_for_timeout(20)  # lets Playwright deliver the page's report
        self.page.wait_for_load_state("load")
        self.check()
        return result

    def check(self) -> None:
        """axe on the page as it is now, and no script error or CSP violation so far."""
        self.assert_no_problems()
        axe_check(self.page, self.axe_source)
        self.checked = len(self.shown)

    def assert_no_problems(self) -> None:
        if self.problems:
            pytest.fail("the page reported problems:\n" + "\n".join(f"- {p}" for p in self.problems),
                        pytrace=False)

    def assert_all_checked(self) -> None:
        self.assert_no_problems()
        missed = self.shown[self.checked:]
        if missed:
            pytest.fail("pages shown without an axe check (use site.goto / site.navigate / site.check): "
                        + ", ".join(missed), pytrace=False)

    def _on_console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP ({message.type}): {text}")
        elif message.type == "error":
            url = message.location.get("url", "")
            if not _EXPECTED_HTTP_ERROR.match(text) or "/static/" in url:
                self.problems.append(f"console error: {text} ({url})")


@pytest.fixture
def site(page, live_server, axe_source):
    site = Site(page=page, axe_source=axe_source, base_url=live_server)
    page.expose_binding("__e2ePageShown", lambda _source, url: site.shown.append(url))
    page.expose_binding("__e2eCspViolation", lambda _source, text: site.problems.append(f"CSP: {text}"))
    page.add_init_script(_REPORTER)
    page.on("console", site._on_console)
    page.on("pageerror", lambda error: site.problems.append(f"JavaScript error: {error}"))
    return site


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a passing browser test: every page shown was axe-checked, no script error, no CSP
    violation. Done here rather than in a fixture's teardown so it counts as the test's failure."""
    result = yield
    site = item.funcargs.get("site") if hasattr(item, "funcargs") else None
    if isinstance(site, Site):
        site.assert_all_checked()
    return result


def fr_or_en(french: str, english: str) -> re.Pattern:
    """An accessible name or text in either language (the French catalogue may lag behind)."""
    return re.compile(f"{re.escape(french)}|{re.escape(english)}")


# Helpers shared by the journeys --------------------------------------------------------------

# What the focused element is, and whether something shows where the focus is.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim(),
    href: el.getAttribute('href'),
    visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
             || style.boxShadow !== 'none',
  };
}"""


def main_menu(page):
    return page.get_by_role("navigation", name=fr_or_en("Menu principal", "Main menu"))


def log_in(site, email: str, password: str) -> None:
    """Log in through the form (Enter in the password field), checking the pages on the way."""
    page = site.page
    site.goto("/connexion")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    site.navigate(lambda: page.locator("#password").press("Enter"))


def tab(page, *, shift: bool = False) -> dict:
    """Press Tab (or Shift+Tab); the newly focused element must show where the focus is."""
    page.keyboard.press("Shift+Tab" if shift else "Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["visible"], f"the focus is not visible on {focused}"
    return focused


def tab_to(page, predicate, what: str, limit: int = 25) -> dict:
    for _ in range(limit):
        focused = tab(page)
        if predicate(focused):
            return focused
    raise AssertionError(f"{what} not reached in {limit} presses of Tab")
