"""Public and account pages: they render, pass axe-core in light and dark mode, work by keyboard."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_public_pages_are_accessible(page, a11y):
    for path, name in (
        ("/", "home"),
        ("/players", "players"),
        ("/login", "login"),
        ("/register", "register"),
        ("/policy", "policy"),
    ):
        page.goto(path)
        expect(page.locator("h1")).to_have_count(1)
        a11y.check(page, name)


def test_skip_link_is_first_and_moves_focus(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_sign_in_by_keyboard_and_errors_are_announced(page, a11y):
    page.goto("/login")
    page.get_by_label("Email").fill("fan@example.com")
    page.get_by_label("Password").fill("wrong-password")
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    a11y.check(page, "login-error")
    page.get_by_label("Password").fill("kendama-demo-1")
    page.get_by_label("Password").press("Enter")
    expect(page.locator("h1")).to_contain_text("Finn Fan")
    a11y.check(page, "dashboard")
