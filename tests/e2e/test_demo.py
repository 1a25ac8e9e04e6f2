"""The README's first command: `make demo` serves the sign-in page and its printed sign-ins work,
checked in a real browser."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, free_port, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run `make demo` on a free port with its own instance folder; yield (base URL, output)."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TEST_DATABASE_URL", "SECRET_KEY", "APP_ENV"}
    }
    env |= {"PORT": str(port), "INSTANCE_PATH": str(tmp_path_factory.mktemp("demo-instance"))}
    log = tmp_path_factory.mktemp("demo-log") / "make-demo.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "demo"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process, timeout=120)
        yield base, log.read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def printed_sign_ins(output: str) -> tuple[str, list[tuple[str, str, str]]]:
    password = re.search(r"signs in with the password: (\S+)", output).group(1)
    rows = re.findall(r"^(official|reviewer|coordinator|admin)\s+(\S+)\s+(\S+@\S+)$", output, re.M)
    return password, rows


def test_make_demo_prints_its_address_and_one_sign_in_per_role(demo):
    base, output = demo
    assert f"Serving on {base}" in output
    _, rows = printed_sign_ins(output)
    assert {role for role, _, _ in rows} == {"official", "reviewer", "coordinator", "admin"}


ROLE_NAMES = {
    "official": "Country official",
    "reviewer": "Reviewer",
    "coordinator": "Coordinator",
    "admin": "Administrator",
}


def test_every_printed_sign_in_works_in_a_browser(demo, page):
    base, output = demo
    password, rows = printed_sign_ins(output)
    for role, country, email in rows:
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/auth/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        who = page.get_by_test_id("who").inner_text()
        assert ROLE_NAMES[role] in who, (email, who)
        if country != "-":
            assert page.get_by_role("heading", level=1).inner_text() != ""
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{base}/auth/login")


def test_wrong_password_is_explained_and_the_language_switches(demo, page):
    base, _ = demo
    page.goto(f"{base}/auth/login")
    page.get_by_label("E-mail address").fill("admin@demo.example.org")
    page.get_by_label("Password").fill("not the demo password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    assert "The e-mail address or the password is wrong." in summary.inner_text()
    # The error summary takes the focus, so a screen reader announces it.
    expect(page.locator("#error-summary")).to_be_focused()
    page.get_by_role("button", name="Français").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Se connecter"
    assert page.locator("html").get_attribute("lang") == "fr"


def test_keyboard_alone_signs_in(demo, page):
    base, output = demo
    password, rows = printed_sign_ins(output)
    _, _, email = rows[0]
    page.goto(f"{base}/auth/login")
    expect(page.get_by_label("E-mail address")).to_be_focused()  # it has the focus on arrival
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
