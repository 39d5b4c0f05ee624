"""The dashboard in a real browser: served by `solara run` on 127.0.0.1, driven in Debian's headless Chromium.

The page loads with its map and time paths; moving sliders and pressing Reset builds a model with the new levers; Step and
Play advance the quarter; the time-path image changes. The browser is Debian's `chromium` (apt-get install -y chromium),
driven by Playwright's Python package; no browser is ever downloaded (`playwright install` is never run). Every request
goes to 127.0.0.1: the page's requests to anything else are blocked and reported, and the server's asset proxy points at
a closed local port, so an asset missing from the `solara-assets` package fails here instead of reaching the internet.

Without chromium (or without the `viz`/`test` extras) the test is skipped, unless COOPSIM_REQUIRE_BROWSER=1 (CI), in which
case it fails. Each passing run re-makes docs/dashboard.png (the README's screenshot) from the page it has just driven,
so the picture in the docs cannot go stale; a failing run leaves it alone.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS_SCREENSHOT = ROOT / "docs" / "dashboard.png"
REQUIRE_BROWSER_ENV = "COOPSIM_REQUIRE_BROWSER"
CHROMIUM_ENV = "COOPSIM_CHROMIUM"  # another chromium binary than Debian's /usr/bin/chromium
HOST = "127.0.0.1"
# Chromium as root, headless, with nothing that reaches the network on its own (the profile is a new empty folder).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
VIEWPORT = {"width": 1600, "height": 1250}
SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 10.0
UI_TIMEOUT_MS = 30_000
IMAGE_CHANGE_TIMEOUT_S = 15.0
POLL_S = 0.2
# Levers set through the sliders by arrow keys: the rail design speed to SPEED_AFTER km/h and the opening quarter to
# OPENING_QUARTER, so that the line opens while the test watches.
SPEED_AFTER = 250
OPENING_QUARTER = 4
# The server echoes each slider value back; an echo that arrives late can set the slider back a step, so the test
# presses keys until the slider shows the target and it stays there for SLIDER_SETTLE_S (at most SLIDER_MAX_PRESSES).
SLIDER_SETTLE_S = 1.0
HORIZON_TIMEOUT_MS = 240_000  # Play from about quarter 8 to 60, redrawing every quarter
HORIZON_SETTLE_S = 2.0
SLIDER_MAX_PRESSES = 60
PLAY_UNTIL_QUARTER = 8


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_BROWSER_ENV}=1 requires the browser test to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if not path:
        _unavailable("Debian's chromium is not installed (apt-get install -y chromium)")
    for module, extra in (("playwright", "test"), ("solara", "viz"), ("solara_assets", "viz")):
        if importlib.util.find_spec(module) is None:
            _unavailable(f"{module} is not installed (pip install -e '.[{extra}]')")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)  # no proxy: straight to the loopback port
    try:
        connection.request("GET", "/")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory):
    """`solara run coopsim.dashboard` on a free loopback port, stopped (its process group) at teardown."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard_server") / "server.log"
    closed_port = _free_port()  # nothing listens there: an asset not in solara-assets fails fast instead of going out
    env = dict(
        os.environ,
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",
        SOLARA_ASSETS_CDN=f"http://{HOST}:{closed_port}/npm/",
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-m", "solara", "run", "coopsim.dashboard", "--host", HOST, "--port", str(port), "--production", "--no-open"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _answers(port):
            if process.poll() is not None:
                pytest.fail(f"the dashboard server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the dashboard server did not answer within {SERVER_START_TIMEOUT_S:.0f} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(POLL_S)
        yield {"url": f"http://{HOST}:{port}/", "log": log_path}
    finally:
        print(f"dashboard server log (end):\n{log_path.read_text()[-3000:]}")  # pytest shows it when the test fails
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(SERVER_STOP_TIMEOUT_S)


@pytest.fixture()
def browser_page(chromium, server, tmp_path):
    """A tab of headless Chromium (new empty profile) that may reach only the dashboard; yields (tab, blocked URLs)."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def local_only(route):
        if route.request.url.startswith(server["url"]):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT
        )
        try:
            context.set_default_timeout(UI_TIMEOUT_MS)
            tab = context.new_page()
            tab.route("**/*", local_only)
            yield tab, blocked
        finally:
            context.close()


def _quarter(tab) -> int:
    text = tab.locator(".coopsim-quarter").inner_text()
    match = re.match(r"Quarter (\d+) of", text)
    assert match, f"unexpected quarter text {text!r}"
    return int(match.group(1))


def _wait_for_quarter(tab, at_least: int) -> int:
    tab.wait_for_function(
        "n => { const el = document.querySelector('.coopsim-quarter');"
        " const m = el && el.textContent.match(/Quarter (\\d+) of/); return m && Number(m[1]) >= n; }",
        arg=at_least,
    )
    return _quarter(tab)


def _image(tab, css_class: str) -> tuple[str, bytes]:
    """The src and the rendered pixels of a figure's image."""
    image = tab.locator(f".{css_class} img")
    return image.get_attribute("src"), image.screenshot()


def _wait_for_new_image(tab, css_class: str, before: tuple[str, bytes]) -> tuple[str, bytes]:
    deadline = time.monotonic() + IMAGE_CHANGE_TIMEOUT_S
    while True:
        now = _image(tab, css_class)
        if now[0] != before[0] and now[1] != before[1]:
            return now
        if time.monotonic() > deadline:
            pytest.fail(f"the {css_class} image did not change within {IMAGE_CHANGE_TIMEOUT_S:.0f} s")
        time.sleep(POLL_S)


def _slider(tab, label: str):
    return tab.locator(".v-input", has=tab.locator("label", has_text=label)).locator("[role=slider]")


def _set_slider(slider, target: int) -> None:
    """Move a slider to ``target`` with the arrow keys, until it shows the target and stays there."""
    slider.focus()
    for _ in range(SLIDER_MAX_PRESSES):
        now = float(slider.get_attribute("aria-valuenow"))
        if now == target:
            time.sleep(SLIDER_SETTLE_S)
            if float(slider.get_attribute("aria-valuenow")) == target:
                return
            continue
        slider.press("ArrowLeft" if now > target else "ArrowRight")
        time.sleep(POLL_S)
    pytest.fail(f"the slider did not settle at {target}; it shows {slider.get_attribute('aria-valuenow')}")


def test_dashboard_in_headless_chromium(browser_page, server, tmp_path):
    tab, blocked = browser_page
    tab.goto(server["url"])
    # loads: the app bar, both figures and the text panel
    tab.get_by_text("coopsim: cooperation between cities").wait_for()
    tab.locator(".coopsim-map img").wait_for()
    tab.locator(".coopsim-time-paths img").wait_for()
    assert _quarter(tab) == 0
    status = tab.locator(".coopsim-status").inner_text()
    assert "rail at 350 km/h from quarter 28" in status
    minutes_before = float(re.search(r"travel time: ([\d.]+) min", status).group(1))

    # one page: no stray tab bar; every slider shows its value beside it, not only while dragged
    assert not tab.locator(".v-tabs").is_visible()
    speed = _slider(tab, "Rail design speed")
    assert speed.get_attribute("aria-valuenow") == "350"
    shown = tab.locator(".v-input", has=tab.locator("label", has_text="Rail design speed")).locator(".v-slider__thumb-label")
    assert shown.is_visible() and shown.inner_text().strip() == "350"
    _set_slider(speed, SPEED_AFTER)
    assert shown.inner_text().strip() == str(SPEED_AFTER)
    _set_slider(_slider(tab, "Rail opening quarter"), OPENING_QUARTER)
    tab.get_by_role("button", name="Reset", exact=True).click()
    tab.locator(".coopsim-status", has_text=f"rail at {SPEED_AFTER} km/h from quarter {OPENING_QUARTER}").wait_for()

    # Step advances one quarter and redraws the time paths
    paths_before = _image(tab, "coopsim-time-paths")
    tab.get_by_role("button", name="Step", exact=True).click()
    assert _wait_for_quarter(tab, 1) == 1
    paths_after_step = _wait_for_new_image(tab, "coopsim-time-paths", paths_before)

    # Play runs on until paused; the new line has opened by then and the partner is closer to the core
    tab.get_by_role("button", name="▶", exact=True).click()
    _wait_for_quarter(tab, PLAY_UNTIL_QUARTER)
    tab.get_by_role("button", name="❚❚", exact=True).click()
    tab.get_by_role("button", name="▶", exact=True).wait_for()
    reached = _quarter(tab)
    assert reached >= PLAY_UNTIL_QUARTER
    _wait_for_new_image(tab, "coopsim-time-paths", paths_after_step)
    status = tab.locator(".coopsim-status").inner_text()
    minutes_after = float(re.search(r"travel time: ([\d.]+) min", status).group(1))
    assert minutes_after < minutes_before, status

    assert blocked == [], f"the page asked for addresses other than the dashboard's: {blocked}"
    fresh = tmp_path / "dashboard.png"  # the README's screenshot, moved over the docs' copy once every check has passed
    tab.screenshot(path=str(fresh))
    assert fresh.stat().st_size > 0

    # Play runs on to the horizon and stops there: never "Quarter 61 of 60"
    tab.get_by_role("button", name="▶", exact=True).click()
    tab.locator(".coopsim-status", has_text="Horizon reached").wait_for(timeout=HORIZON_TIMEOUT_MS)
    time.sleep(HORIZON_SETTLE_S)  # a Play worker that was about to step has had its chance
    assert tab.locator(".coopsim-quarter").inner_text().startswith("Quarter 60 of 60")
    time.sleep(HORIZON_SETTLE_S)
    assert tab.locator(".coopsim-quarter").inner_text().startswith("Quarter 60 of 60")  # and it stays there
    shutil.move(fresh, DOCS_SCREENSHOT)  # a failing run never replaces the docs' picture
