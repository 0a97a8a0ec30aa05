"""The real app (``commonground serve`` under uvicorn) driven in Debian's headless Chromium with Playwright:
sign in, upload flats, upload households and preferences, choose policy and mechanism, run, see the result
page with its plot, download the CSV; then a development from a real HDB town. Screenshots are saved under
test-artifacts/service/."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from .conftest import LiveServer, cli_command

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, shared_data, artifacts):
    db_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'app.sqlite'}"
    out = subprocess.run(cli_command("token", "create", "--role", "admin", "--db", db_url, "--label", "browser"),
                         capture_output=True, text=True, timeout=120, check=True)
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("cg_")
    (artifacts / "service").mkdir(exist_ok=True)
    live = LiveServer(db_url, shared_data / "sg_hdb_property_information.csv", artifacts / "service" / "server.log")
    yield live, token
    live.stop()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def test_upload_run_see_plot_and_download(server, browser, bto_inputs, artifacts):
    live, token = server
    shots = artifacts / "service"
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.set_default_timeout(30_000)
    page.goto(live.url + "/")
    assert page.url.endswith("/login")
    page.fill("#token", token)
    page.screenshot(path=shots / "01-sign-in.png")
    page.click("#sign-in")
    page.wait_for_url(live.url + "/")

    page.click("#new-development")
    page.fill("#name", "Tengah BTO (demo)")
    page.set_input_files("#flats", bto_inputs / "flats.csv")
    page.screenshot(path=shots / "02-new-development.png", full_page=True)
    page.click("#upload-flats button[type=submit]")
    page.wait_for_url("**/developments/*")
    assert "Tengah BTO (demo)" in page.inner_text("h1")

    page.set_input_files("#households", bto_inputs / "households.csv")
    page.set_input_files("#preferences", bto_inputs / "preferences.csv")
    page.click("#upload-applicants button[type=submit]")
    page.wait_for_selector("#applicant-sets")
    assert "3,200" in page.inner_text("#applicant-sets")

    page.check("input[name=policy][value='sg-eip-2010']")
    page.check("input[name=policy][value='sg-spr']")
    page.select_option("#mechanism", "ballot")
    page.fill("#seed", "7")
    page.screenshot(path=shots / "03-development-run-form.png", full_page=True)
    page.click("#run-button")
    page.wait_for_url("**/runs/*")
    # The page refreshes itself until the run is done, then shows the plot.
    page.wait_for_selector("#result-plot svg", timeout=90_000)
    assert page.inner_text("#run-status") == "done"
    assert page.is_visible("#result-plot svg")
    box = page.locator("#result-plot svg").bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    assert "Chinese" in page.inner_text("#groups")
    page.screenshot(path=shots / "04-result.png", full_page=True)

    with page.expect_download() as dl:
        page.click("#download-allocation-csv")
    path = shots / "allocation.csv"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.endswith("-allocation.csv")
    table = pd.read_csv(path)
    assert len(table) == 3200 and (table["status"] == "allocated").sum() == 800

    page.click("#verify-button")
    page.wait_for_selector("#verdict")
    assert "identical" in page.inner_text("#verdict")
    page.screenshot(path=shots / "05-verify.png")
    page.go_back()

    page.click("#report-link")
    page.wait_for_load_state()
    assert page.locator("svg").count() > 0
    page.screenshot(path=shots / "06-report.png")
    page.close()


def test_development_from_a_real_hdb_town(server, browser, artifacts):
    live, token = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(live.url + "/login")
    page.fill("#token", token)
    page.click("#sign-in")
    page.goto(live.url + "/developments/new")
    page.select_option("#town", "BT")
    page.click("#hdb-town button[type=submit]")
    page.wait_for_url("**/developments/*")
    assert "Bukit Timah" in page.inner_text("h1")
    assert "hdb: BT" in page.content()
    page.screenshot(path=artifacts / "service" / "07-hdb-town.png", full_page=True)
    page.close()


def test_phone_width_menu_keeps_sign_out(server, browser, artifacts):
    """At 390 px (a phone) every menu entry, "Sign out" included, is on screen (the review found it pushed
    off the right edge)."""
    live, token = server
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_default_timeout(30_000)
    page.goto(live.url + "/login")
    page.fill("#token", token)
    page.click("#sign-in")
    page.wait_for_url(live.url + "/")
    page.screenshot(path=artifacts / "service" / "08-phone-menu.png")
    for selector in ("#sign-out", "header nav a[href='/docs']", "header nav a[href='/tokens']"):
        box = page.locator(selector).bounding_box()
        assert page.is_visible(selector) and box is not None, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    assert page.evaluate("document.querySelector('header').scrollWidth") <= 390  # the menu needs no sideways scroll
    page.click("#sign-out")
    page.wait_for_url("**/login")
    page.close()
