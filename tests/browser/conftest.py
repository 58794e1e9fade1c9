"""The web studio in a real browser: Debian's Chromium driven by Playwright (pytest-playwright's fixtures),
against every service as a process (offline providers, small renders), with axe-core injected for accessibility.

Playwright's own browser download cannot work here, so the fixtures launch the system Chromium
(`ADMINT_CHROMIUM`, default /usr/bin/chromium); `make setup` installs it and axe-core (npm, into .cache/npm).
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, ViewportSize

from admint.devstack.processes import DevStack

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "studio-" + os.urandom(6).hex()
ARTIFACTS = ROOT / "out" / "test-artifacts" / "studio"
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def chromium_path() -> str:
    found = os.environ.get("ADMINT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise RuntimeError(f"no Chromium at {found}: run `make setup` (it installs Debian's chromium)")
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at Debian's Chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path(),
            "args": ["--autoplay-policy=no-user-gesture-required", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = DevStack(
        tmp_path_factory.mktemp("studio"),
        env={"ADMINT_RENDER_LONG_SIDE": "256", "ADMINT_DEV_API_KEY": API_KEY, "ADMINT_ENVIRONMENT": "test",
             "ADMINT_SSE_KEEPALIVE_S": "1", "ADMINT_MAX_ACTIVE_GENERATIONS": "8"},
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], system: DevStack) -> dict[str, Any]:
    return {**browser_context_args, "base_url": system.api_url, "viewport": DESKTOP, "accept_downloads": True}


@pytest.fixture
def api(system: DevStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.api_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as c:
        yield c


class Watch:
    """Console errors, CSP violations and failed page requests seen while a test drives the page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]


@pytest.fixture
def studio(page: Page) -> Iterator[tuple[Page, Watch]]:
    """A page with the key in this tab's session storage (as the key form leaves it)."""
    page.add_init_script(f"sessionStorage.setItem('admint.key', {API_KEY!r})")
    page.add_init_script(LAYOUT_SHIFTS)  # cumulative layout shift (the CLS metric), read by the live test
    page.set_default_timeout(30_000)
    watch = Watch(page)
    yield page, watch
    assert watch.csp_violations() == []
    assert [e for e in watch.errors if "page error" in e] == []


LAYOUT_SHIFTS = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__layoutShift += entry.value;
}).observe({type: "layout-shift", buffered: true});
"""


def shoot(page: Page, name: str) -> None:
    """Screenshots of the current view at desktop and phone width (out/test-artifacts/studio/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("() => window.scrollTo(0, 0)")  # a full-page shot of a scrolled page repeats the sticky bar
        page.wait_for_timeout(250)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not AXE.exists():
        raise RuntimeError(f"axe-core is not installed at {AXE}: run `make setup`")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the test driver, not a <script> the page's CSP would block
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    return list(result)
