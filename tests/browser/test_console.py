"""What a new user does in the admin console, in Chromium: sign in, set up outgoing mail and
check it against a real SMTP server, switch processing off and on, order automation rules,
find a message in the log and reprocess it; and what is refused."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import Console, sign_in
from tests.conftest import wait_until
from tests.mail import email as make_email

PAGES = [("overview", "/admin"), ("outgoing", "/admin/setup/outgoing"),
         ("incoming", "/admin/setup/incoming"), ("processing", "/admin/setup/processing"),
         ("team", "/admin/setup/team"), ("rules", "/admin/rules"), ("log", "/admin/log"),
         ("outbox", "/admin/outbox")]


def notice(tab: Any) -> str:
    return str(tab.locator("[role=status].notice, [role=alert].error").first.inner_text())


def test_sign_in_with_the_keyboard_and_every_page_renders(page: Any) -> None:
    page.goto("/admin")
    assert page.url.endswith("/admin/sign-in?next=/admin")
    page.screenshots.take("sign-in")
    page.get_by_label("User name").focus()
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type("browser-admin-secret")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^http://[^/]+/admin$"))
    assert page.get_by_role("heading", name="Overview").is_visible()
    for name, path in PAGES:
        page.goto(path)
        assert page.locator("h1").is_visible(), path
        page.screenshots.take(name)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto("/admin")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the overview scrolls sideways on a phone ({width}px)"
    page.screenshots.take("overview-phone")
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info")  # Swagger UI rendered, from the package's files
    page.screenshots.take("docs")


def test_a_wrong_password_is_refused(page: Any) -> None:
    sign_in(page, password="not-the-password")
    assert "wrong user name or password" in notice(page)
    page.screenshots.take("refused")
    page.goto("/admin/log")
    assert "/admin/sign-in" in page.url


def test_a_form_without_its_csrf_token_is_refused(page: Any, console: Console) -> None:
    sign_in(page)
    page.goto("/admin")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_role("button", name=re.compile("Turn processing")).click()
    assert "security token is missing" in notice(page)
    page.screenshots.take("csrf-refused")
    page.goto("/admin")
    assert page.locator(".status-on").is_visible()  # nothing changed


def test_outgoing_mail_is_set_up_and_both_checks_pass(page: Any, console: Console) -> None:
    sign_in(page)
    page.goto("/admin/setup/outgoing")
    page.get_by_role("button", name="Test SMTP connection").click()
    assert "SMTP connection failed" in notice(page)  # the closed port it started with
    page.get_by_label("SMTP host").fill("127.0.0.1")
    page.get_by_label("SMTP port").fill(str(console.smtp.port))
    page.get_by_label("SMTP security").select_option("none")
    page.get_by_role("button", name="Save outgoing mail server").click()
    assert "saved" in notice(page)
    assert page.get_by_label("SMTP port").input_value() == str(console.smtp.port)
    page.get_by_role("button", name="Test SMTP connection").click()
    assert "SMTP connection: OK" in notice(page)
    page.screenshots.take("smtp-check")
    page.get_by_label("Send a test email to").fill("tina@msp.example")
    page.get_by_role("button", name="Send test email").click()
    assert "Test email: OK" in notice(page)
    page.screenshots.take("test-email")
    assert console.smtp.to("tina@msp.example"), "the SMTP server did not get the test email"


def test_a_subject_is_tried_while_typing(page: Any) -> None:
    sign_in(page)
    page.goto("/admin/setup/processing")
    page.get_by_label("Subject", exact=True).fill("Re: [Ticket #0000077] Backup failed")
    assert page.locator("#try-result").inner_text() == "Ticket number found: 0000077"
    page.screenshots.take("try-subject")


def test_processing_is_switched_off_and_on(page: Any) -> None:
    sign_in(page)
    page.get_by_role("button", name="Turn processing off").click()
    assert "Processing is off" in notice(page)
    assert page.locator(".status-off").is_visible()
    page.screenshots.take("off")
    page.get_by_role("button", name="Turn processing on").click()
    assert "Processing is on" in notice(page)
    assert page.locator(".status-on").is_visible()


def test_automation_rules_are_added_and_reordered(page: Any) -> None:
    sign_in(page)
    page.goto("/admin/rules")
    for sender in ("alerts@nagios.example", "monitor@zabbix.example"):
        form = page.locator("#add-rule")
        form.get_by_label("Kind").select_option("detect")
        form.get_by_label(re.compile("^Sender")).fill(sender)
        form.get_by_role("button", name="Add rule").click()
        assert "added" in notice(page)

    def senders() -> list[str]:
        return [s for s in page.locator("#rules tbody tr td:nth-child(3)").all_inner_texts()
                if s.endswith(("nagios.example", "zabbix.example"))]

    assert senders() == ["alerts@nagios.example", "monitor@zabbix.example"]
    zabbix = page.locator("#rules tbody tr", has_text="monitor@zabbix.example")
    zabbix.get_by_role("button", name=re.compile("up$")).click()
    assert "moved up" in notice(page)
    assert senders() == ["monitor@zabbix.example", "alerts@nagios.example"]
    page.locator("#rules tbody tr", has_text="alerts@nagios.example").get_by_role(
        "button", name="Disable").click()
    assert page.locator("#rules tbody tr.disabled", has_text="alerts@nagios.example").is_visible()
    page.screenshots.take("rules")


def test_a_message_is_found_by_sender_and_reprocessed(page: Any, console: Console) -> None:
    inbound_id = console.send(make_email(sender="Walter <walter@unknown-sender.example>",
                                         subject="Where is my invoice?"))
    sign_in(page)

    def processed() -> bool:
        page.goto("/admin/log?sender=walter%40unknown")
        return page.locator("#log tbody tr", has_text="forwarded_unrecognized").count() == 1

    wait_until(processed, timeout=20)
    page.get_by_label("Sender").fill("WALTER@unknown-sender")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("#log tbody tr").count() == 1
    page.screenshots.take("log-filtered")
    page.get_by_role("link", name="Where is my invoice?").click()
    assert page.url.endswith(f"/admin/log/{inbound_id}")
    assert "walter@unknown-sender.example" in page.locator("#reason").inner_text()
    page.screenshots.take("message")
    page.get_by_role("button", name="Reprocess").click()
    assert "queued again" in notice(page)
    wait_until(lambda: page.reload() and "forwarded_unrecognized" in page.locator(
        "main").inner_text(), timeout=20)
    page.screenshots.take("reprocessed")
    page.goto("/admin")
    day = page.locator("figure", has_text="Last 24 hours")
    assert day.locator("tr", has_text="forwarded_unrecognized").locator("td.num").inner_text() != "0"
    assert page.locator("table", has_text="Last message").get_by_role("link", name="raw").is_visible()
    page.screenshots.take("overview-with-mail")
