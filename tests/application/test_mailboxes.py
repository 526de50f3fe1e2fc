"""Several polled mailboxes: the first from CONNECTOR_IMAP_* / CONNECTOR_POP3_*, more from the
file CONNECTOR_MAILBOXES_FILE names (TOML or JSON, the keys of the protocol's settings), and
one poller loop per mailbox in one process, each with its own source, position and health."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.application.mailbox_loop import Pollers
from api.application.mailboxes import mailbox_servers
from api.application.polling import ImapPoller
from domain.messages import MailboxServer
from tests.application.mailbox_fakes import FakeImapClient, FakeImapServer
from tests.application.test_polling import Settings, World, mail

MAILBOXES = """\
[[mailbox]]
name = "sales"
host = "imap.sales.example"
username = "sales@msp.example"
password = "sales-secret"
folder = "Support"
poll_seconds = 5

[[mailbox]]
protocol = "pop3"
host = "pop.old.example"
username = "old@msp.example"
auth = "oauth2"
oauth2_flow = "google_refresh_token"
oauth2_client_id = "client"
oauth2_client_secret = "client-secret-x"
oauth2_refresh_token = "refresh-token-x"
"""


def world_with(tmp_path: Path, text: str, name: str = "mailboxes.toml") -> World:
    path = tmp_path / name
    path.write_text(text)
    return World(mailboxes_file=path)


def test_the_first_mailbox_comes_from_the_settings_and_more_from_the_file(tmp_path: Path) -> None:
    world = world_with(tmp_path, MAILBOXES)
    values = world.settings.current()
    first, sales = mailbox_servers(values, "imap")
    assert (first.name, first.host) == ("support@msp.example", "imap.example")
    assert (sales.name, sales.host, sales.port, sales.folder) == (
        "sales", "imap.sales.example", 993, "Support")
    assert sales.password == "sales-secret" and sales.poll_seconds == 5.0
    assert "sales-secret" not in repr(sales)
    [old] = mailbox_servers(values, "pop3")  # no CONNECTOR_POP3_HOST: only the file's
    assert (old.name, old.port, old.delete) == ("old@msp.example", 995, False)
    assert old.oauth2 is not None and old.oauth2.flow == "google_refresh_token"
    assert old.oauth2.subject == "old@msp.example" and "-x'" not in repr(old.oauth2)
    assert len({first.state_key, sales.state_key, old.state_key}) == 3


def test_the_file_may_be_a_json_list(tmp_path: Path) -> None:
    world = world_with(tmp_path, json.dumps([{"host": "imap.two.example", "username": "two"}]),
                       "mailboxes.json")
    assert [s.name for s in mailbox_servers(world.settings.current(), "imap")] == [
        "support@msp.example", "two"]


@pytest.mark.parametrize(("entry", "says"), [
    ('host = "h"\nfolders = "x"', "unknown key 'folders' for imap"),
    ('host = "h"\nport = 70000', "port must be between 1 and 65535"),
    ('host = "h"\nsecurity = "ssl"', "security:"),
    ('protocol = "smtp"\nhost = "h"', "protocol must be imap or pop3"),
    ('username = "u"', "no host"),
    ('host = "h"\nname = "support@msp.example"', "is named 'support@msp.example' too"),
    ('host = "h"\nname = "a"\n[[mailbox]]\nhost = "g"\nname = "a"', "two imap mailboxes are "
     "named 'a'"),
])
def test_a_wrong_entry_is_refused_saying_which_and_why(tmp_path: Path, entry: str,
                                                       says: str) -> None:
    path = tmp_path / "mailboxes.toml"
    path.write_text(f"[[mailbox]]\n{entry}\n")
    with pytest.raises(ValueError, match="CONNECTOR_MAILBOXES_FILE") as caught:
        Settings(_env_file=None, imap_host="imap.example", imap_username="support@msp.example",
                 mailboxes_file=path)  # type: ignore[call-arg]
        mailbox_servers(World(mailboxes_file=path).settings.current(), "imap")
    assert says in str(caught.value)


class Hosts:
    """A FakeImapConnector per host: each mailbox its own server."""

    def __init__(self, *hosts: str) -> None:
        self.servers = {host: FakeImapServer() for host in hosts}

    @contextmanager
    def connect(self, server: MailboxServer) -> Iterator[FakeImapClient]:
        yield FakeImapClient(self.servers[server.host])


def test_one_process_polls_every_mailbox_in_a_loop_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "mailboxes.toml"
    path.write_text('[[mailbox]]\nname = "sales"\nhost = "imap.sales.example"\n'
                    'username = "sales@msp.example"\npoll_seconds = 1\n')
    world = World(mailboxes_file=path, imap_poll_seconds=1)
    hosts = Hosts("imap.example", "imap.sales.example")
    hosts.servers["imap.example"].append(mail(1))
    hosts.servers["imap.sales.example"].append(mail(2))
    hosts.servers["imap.sales.example"].append(mail(3))

    def make(protocol: str, name: str) -> Any:
        return ImapPoller(world.storage, world.settings, hosts, world.store, name=name)

    pollers = Pollers(world.settings, make, ("imap",))
    pollers.reconcile()
    try:
        for _ in range(500):
            if len(world.deliveries) == 3:
                break
            threading.Event().wait(0.01)
        sources = sorted((d.source, d.envelope_to) for d in world.deliveries)
        assert sources == [("imap:sales", ("sales@msp.example",)),
                           ("imap:sales", ("sales@msp.example",)),
                           ("imap:support@msp.example", ("support@msp.example",))]
        health = {loop.health().name: loop.health().taken  # type: ignore[union-attr]
                  for loop in pollers.loops()}
        assert health == {"support@msp.example": 1, "sales": 2}

        path.write_text("")  # the sales mailbox is removed: its loop ends, the other runs on
        [sales] = [loop for loop in pollers.loops() if loop.server() is None]
        for _ in range(500):
            pollers.reconcile()
            if len(pollers.loops()) == 1:
                break
            threading.Event().wait(0.01)
        assert sales not in pollers.loops()
        assert [loop.server().name for loop in pollers.loops()] == [  # type: ignore[union-attr]
            "support@msp.example"]
    finally:
        pollers.stop()
