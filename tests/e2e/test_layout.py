"""The main pages of each role in a real browser at a desktop (1366 px) and a phone (390 px)
width: no Content-Security-Policy violation or script error, nothing scrolls sideways, every
radio button and checkbox sits beside its label, the skip link shows on top of the header when
focused, focus rings are visible, the navigation collapses on phones, and a field reached with
the keyboard is never covered by the sticky header or the section's sticky save bar (WCAG 2.1
AA: 1.4.10, 2.4.1, 2.4.7, 2.4.11).

Screenshots of every page at both widths are kept in a temporary folder whose path is printed
at the end of the run (``layout-screenshots…``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, fill_required
from tests.e2e.conftest import browser_sign_in

pytestmark = pytest.mark.e2e

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}

#: Collects violations of the Content-Security-Policy before any page script runs.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI + " at " +
    event.sourceFile + ":" + event.lineNumber);
});
"""

#: Radio buttons and checkboxes that do not sit beside their label.
MISPLACED_CHOICES = """
() => {
  const problems = [];
  for (const input of document.querySelectorAll("input[type=radio], input[type=checkbox]")) {
    const box = input.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(input).visibility === "hidden") continue;
    const label = input.labels && input.labels[0];
    const name = input.id || input.name;
    if (!label) { problems.push(name + ": no label"); continue; }
    const line = label.getClientRects()[0] || label.getBoundingClientRect();
    const overlap = Math.min(box.bottom, line.bottom) - Math.max(box.top, line.top);
    const gap = line.left >= box.right ? line.left - box.right
      : (box.left >= line.right ? box.left - line.right : 0);
    if (overlap <= 0 || gap > 40) {
      problems.push(name + ": input at " + Math.round(box.left) + "," + Math.round(box.top) +
        ", label at " + Math.round(line.left) + "," + Math.round(line.top));
    }
  }
  return problems;
}
"""

#: Waits until scrolling stops (Bootstrap asks for smooth scrolling), then describes the focused
#: element: its box, the free band between the sticky header and the sticky save bar, its ring.
FOCUSED = """
async () => {
  let last = -1, same = 0;
  while (same < 3) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (window.scrollY === last) { same += 1; } else { same = 0; last = window.scrollY; }
  }
  const el = document.activeElement;
  const header = document.querySelector("header");
  const bar = document.querySelector("#section-form .sticky-bottom");
  const box = el.getBoundingClientRect();
  const headerBox = header.getBoundingClientRect();
  const barBox = bar ? bar.getBoundingClientRect() : null;
  function rgb(text) { return (text.match(/[\\d.]+/g) || []).map(Number); }
  function background(node) {
    for (; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length === 3 || (colour.length === 4 && colour[3] > 0.5)) return colour;
    }
    return [255, 255, 255];
  }
  function luminance(c) {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  const style = getComputedStyle(el);
  const ring = rgb(style.outlineColor);
  const a = luminance(ring), b = luminance(background(el.parentElement));
  return {
    name: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.name ? "[" + el.name + "]" : "") + " " + (el.textContent || "").trim().slice(0, 30),
    inForm: !!el.closest("#section-form") && !(bar && bar.contains(el)),
    inHeader: header.contains(el),
    top: box.top, bottom: box.bottom, width: box.width, height: box.height,
    freeTop: header.contains(el) ? 0 : Math.max(0, headerBox.bottom),
    freeBottom: barBox && barBox.top < window.innerHeight ? barBox.top : window.innerHeight,
    outlineWidth: parseFloat(style.outlineWidth), outlineStyle: style.outlineStyle,
    ringContrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}
"""

#: Focus, without scrolling, the last control of the form fully visible above the save bar
#: (``edge`` = "bottom") or the first one fully visible below the header (``edge`` = "top").
FOCUS_AT_EDGE = """
(edge) => {
  const header = document.querySelector("header").getBoundingClientRect();
  const bar = document.querySelector("#section-form .sticky-bottom").getBoundingClientRect();
  const controls = [...document.querySelectorAll(
    "#section-form input:not([type=hidden]), #section-form select, #section-form textarea, " +
    "#section-form summary, #section-form a[href]")].filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && box.top >= Math.max(0, header.bottom) &&
        box.bottom <= Math.min(bar.top, window.innerHeight) && !el.disabled;
    });
  const chosen = edge === "bottom" ? controls[controls.length - 1] : controls[0];
  if (!chosen) return null;
  chosen.focus({ preventScroll: true });
  return chosen.id || chosen.name || chosen.tagName;
}
"""


SCROLL_TO_FORM = """
() => {
  const form = document.getElementById("section-form").getBoundingClientRect();
  const header = document.querySelector("header").getBoundingClientRect();
  const top = window.scrollY + form.top - Math.max(0, header.bottom);
  window.scrollTo({ top: top, behavior: "instant" });
}
"""


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("layout-screenshots")
    yield folder
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    message = f"layout screenshots: {folder}"
    if reporter:
        reporter.write_line(message)
    else:  # pragma: no cover
        print(message)


class Watcher:
    """Console errors, page errors and CSP violations seen by one page."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.add_init_script(WATCH_CSP)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.errors.append(f"console {message.type}: {message.text}")

    def problems(self) -> list[str]:
        return self.errors + self.page.evaluate("window.__cspViolations || []")


def open_page(browser, base: str, email: str | None, width: str):
    w, h = WIDTHS[width]
    context = browser.new_context(locale="en-GB", viewport={"width": w, "height": h})
    page = context.new_page()
    page.set_default_timeout(15_000)
    watcher = Watcher(page)
    if email:
        browser_sign_in(page, base, email, PASSWORD)
    return context, page, watcher


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def check_page(page, watcher, base: str, path: str, width: str, folder, label: str) -> None:
    """Open ``path`` and check what every page must hold."""
    page.goto(base + path)
    where = f"{label} {path} at {width}"
    page.screenshot(path=str(folder / f"{label}-{width}-{slug(path)}.png"))
    assert watcher.problems() == [], where

    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{where}: scrolls sideways ({scroll_width} px)"

    assert page.evaluate(MISPLACED_CHOICES) == [], where

    header = page.locator("header").bounding_box()
    assert header["width"] <= inner_width, where
    if width == "phone":  # the brand and the menu button, nothing else until the menu opens
        assert header["height"] <= 100, f"{where}: header {header['height']} px high"

    # The skip link: the first Tab stop, shown on top of the header, with a clear focus ring.
    if page.evaluate("document.activeElement === document.body"):
        page.keyboard.press("Tab")  # from the top of the page
    else:  # a field has the focus (autofocus): go back to the top
        for _ in range(15):
            page.keyboard.press("Shift+Tab")
            if page.evaluate("document.activeElement.classList.contains('skip-link')"):
                break
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to main content")
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box["width"] > 20 and box["height"] > 20, where
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('a')?.textContent.trim()",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top == "Skip to main content", f"{where}: the skip link is covered"
    ring = page.evaluate(FOCUSED)
    assert ring["outlineStyle"] != "none" and ring["outlineWidth"] >= 3, where
    assert ring["ringContrast"] >= 3, where
    page.screenshot(path=str(folder / f"{label}-{width}-{slug(path)}-skip-link.png"))
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def check_navigation(page, width: str, link: str, screenshot=None) -> None:
    """The menu collapses behind a button on phones and is laid out in full on desktops."""
    toggler = page.get_by_role("button", name="Menu")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name=link)
    if width == "desktop":
        expect(toggler).to_be_hidden()
        expect(nav_link).to_be_visible()
        return
    menu = page.locator("#main-menu")
    expect(nav_link).to_be_hidden()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(menu).to_have_class(re.compile(r"\bcollapse show\b"))  # opened, not opening
    expect(nav_link).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    assert page.locator("header").bounding_box()["height"] < WIDTHS[width][1]
    if screenshot:
        page.screenshot(path=str(screenshot))
    toggler.click()
    expect(menu).to_have_class(re.compile(r"\bcollapse$"))  # closed, not closing
    expect(nav_link).to_be_hidden()


def check_focus_stays_in_view(page, where: str, folder, name: str) -> None:
    """Tab down from the last field above the save bar and back up from the first field below
    the header: each field reached is fully in the band between the two, with a clear ring."""
    seen = 0
    for edge, key in (("bottom", "Tab"), ("top", "Shift+Tab")):
        if edge == "bottom":  # the form's first question just under the header
            page.evaluate(SCROLL_TO_FORM)
        else:  # half-way down the page
            page.evaluate(
                "window.scrollTo({top: document.body.scrollHeight / 2, behavior: 'instant'})"
            )
        start = page.evaluate(FOCUS_AT_EDGE, edge)
        if start is None:
            page.screenshot(path=str(folder / f"{name}-no-control-{edge}.png"))
        assert start, f"{where}: no control fully visible at the {edge}"
        for step in range(40):
            page.keyboard.press(key)
            info = page.evaluate(FOCUSED)
            if not info["inForm"]:
                break
            if not info["height"]:
                continue
            seen += 1
            label = f"{where}: {key} {step} to {info['name']}"
            assert info["top"] >= info["freeTop"] - 0.5, f"{label} under the header: {info}"
            assert info["bottom"] <= info["freeBottom"] + 0.5, f"{label} under the bar: {info}"
            assert info["outlineStyle"] != "none" and info["outlineWidth"] >= 3, label
            assert info["ringContrast"] >= 3, label
            if step == 5:
                page.screenshot(path=str(folder / f"{name}-focus-{edge}.png"))
    assert seen > 20, where


def run_role(browser, base, email, label, pages, folder, nav_link, sections=()):
    for width in WIDTHS:
        context, page, watcher = open_page(browser, base, email, width)
        try:
            check_navigation(page, width, nav_link, folder / f"{label}-{width}-menu.png")
            for path in pages:
                check_page(page, watcher, base, path, width, folder, label)
            for path in sections:
                page.goto(base + path)
                check_focus_stays_in_view(
                    page, f"{label} {path} at {width}", folder, f"{label}-{width}-{slug(path)}"
                )
                assert watcher.problems() == [], path
        finally:
            context.close()


def test_official_pages(app, world, assessments, live_server, browser, screenshots):
    fill_required(app, assessments.own, world.own.id)
    own = assessments.own
    sections = [
        f"/assessments/{own}/sections/legislative_status",
        f"/assessments/{own}/sections/substantive",
    ]
    pages = [
        "/",
        f"/assessments/{own}",
        *sections,
        f"/assessments/{own}/sections/contact_point",  # checklists, contacts, numbers
        f"/assessments/{own}/sections/central_authorities",  # tables
        "/account",
        f"/assessments/{own}/submit",
    ]
    run_role(
        browser,
        live_server,
        world.own.email,
        "official",
        pages,
        screenshots,
        "Assessments",
        sections,
    )


def test_reviewer_pages(app, world, assessments, live_server, browser, screenshots):
    fill_required(app, assessments.own, world.own.id)
    own = assessments.own
    pages = [
        "/",
        "/assessments",
        f"/assessments/{own}",
        f"/assessments/{own}/sections/legislative_status",
        f"/assessments/{own}/sections/substantive",
        "/library/",
        f"/assessments/{own}/sections/contact_point",
        "/library/frameworks/budapest",
        "/countries/XAA",
    ]
    run_role(browser, live_server, world.reviewer.email, "reviewer", pages, screenshots, "Library")


def test_coordinator_pages(app, world, assessments, live_server, browser, screenshots):
    fill_required(app, assessments.own, world.own.id)
    own = assessments.own
    pages = [
        "/",
        "/cycles",
        "/cycles/new",  # the country picker's checkboxes
        f"/cycles/{assessments.cycle_id}",
        f"/assessments/{own}",
        f"/assessments/{own}/sections/legislative_status",
        "/admin/users",
        "/admin/users/invite",
        "/admin/countries",
        "/library/coverage",
    ]
    run_role(
        browser, live_server, world.coordinator.email, "coordinator", pages, screenshots, "Cycles"
    )


def test_signed_out_pages(live_server, browser, screenshots):
    for width in WIDTHS:
        context, page, watcher = open_page(browser, live_server, None, width)
        try:
            for path in ("/auth/login", "/auth/forgot"):
                check_page(page, watcher, live_server, path, width, screenshots, "anonymous")
            expect(page.get_by_role("button", name="Menu")).to_have_count(0)
            expect(page.get_by_role("button", name="Français")).to_be_visible()
        finally:
            context.close()
