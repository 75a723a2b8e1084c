"""A real Chromium (Debian's chromium and chromium-driver) on the workbench of a real
`casework serve` process."""

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.conftest import Server, casework

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def workbench(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import os

    # A few people clicking need few connections; the suite's other servers share the
    # database server's max_connections.
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CASEWORK_POOL_SIZE": "2",
        "CASEWORK_POOL_MAX_OVERFLOW": "2",
        "CASEWORK_DB_TIMEOUT_SECONDS": "10",
        # The tests date their commands in the past (a month of work for the dashboard); the
        # ladder's own steps, dated at their thresholds, would race them (tested in e2e).
        "CASEWORK_RUN_SUPERVISION": "false",
    }
    loaded = casework("areas", "load", "--sample", env=env)
    assert loaded.returncode == 0, loaded.stderr
    running = Server(env, Path(tmp_path_factory.mktemp("workbench"))).start()
    yield running
    running.stop()


@dataclass(frozen=True)
class Person:
    id: str
    token: str


def add_user(server: Server, name: str, role: str, area: str) -> Person:
    """A user made with the real CLI, with the id and token it printed."""
    result = casework(
        "users", "add", "--name", name, "--role", role, "--area", area, env=server.env
    )
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines())
    return Person(fields["id"].strip(), fields["token"].strip())


def _replaced(element: Any) -> bool:
    """Whether the page that held ``element`` is gone. While Chromium swaps documents it
    may answer a look at the old one with an inspector error instead of "stale"."""
    try:
        element.is_enabled()
    except WebDriverException:  # stale, or the node no longer in any document
        return True
    return False


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


class Browser:
    """One person's browser: their own cookies, a window of their device's size."""

    def __init__(self, base: str, width: int, height: int):
        missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
        if missing:
            pytest.fail(
                f"{', '.join(missing)} missing: the browser tests drive Debian's chromium; "
                "install it with `apt-get install chromium chromium-driver fonts-wqy-microhei`"
            )
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
            options.add_argument(argument)
        options.add_argument("--lang=zh-CN")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        # The device's own viewport (a desktop window cannot be made as narrow as a phone).
        self.size = (width, height)
        self.emulate(height)
        self.base = base

    def emulate(self, height: int) -> None:
        width = self.size[0]
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
        )

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def sign_in(self, person: "Person") -> None:
        self.open("/app/login")
        self.find("#token").send_keys(person.token)
        self.submit("form button[type=submit]")
        assert "/login" not in self.driver.current_url

    def submit(self, css: str) -> None:
        """Click a form's button (or a link) and wait for the page that answers."""
        page = self.find("html")
        self.find(css).click()
        WebDriverWait(self.driver, 15).until(lambda _driver: _replaced(page))

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def text(self, css: str = "main") -> str:
        return self.find(css).text

    def fill(self, css: str, value: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def choose(self, css: str, value: str) -> None:
        Select(self.find(css)).select_by_value(value)

    def wait_for(self, condition, seconds: float = 10) -> None:
        # A page being replaced by the next one leaves stale elements: look again.
        WebDriverWait(
            self.driver,
            seconds,
            # (and Chromium's inspector error while it swaps documents, see _replaced)
            ignored_exceptions=(
                StaleElementReferenceException,
                NoSuchElementException,
                WebDriverException,
            ),
        ).until(lambda _driver: condition())

    def reload_until(self, path: str, text: str, seconds: float = 10) -> None:
        """The lists come from read models, which follow the event log a moment later."""

        def shown() -> bool:
            self.open(path)
            return text in self.text()

        self.wait_for(shown, seconds)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        # The whole page, not only the viewport: a reader sees the form to its end. The
        # device grows as tall as the page for the shot (a capture beyond the viewport
        # leaves parts unpainted), then goes back to its size.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.emulate(max(height, self.size[1]))
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
        self.emulate(self.size[1])
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture
def browsers(workbench: Server) -> Iterator:
    opened: list[Browser] = []

    def open_browser(width: int = 1366, height: int = 900) -> Browser:
        browser = Browser(workbench.url, width, height)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        browser.quit()


@pytest.fixture
def token_for(workbench: Server):
    """token_for(name, role, area): a new user of the workbench's service, and its token."""

    def make(name: str, role: str, area: str) -> Person:
        return add_user(workbench, name, role, area)

    return make
