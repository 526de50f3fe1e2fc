"""The POP3 poller's use case against an in-memory maildrop: unique-ids remembered only after
storage, deletion only when configured and only after storage, nothing taken twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api.application.mailboxes import pop3_server
from api.application.pop3_polling import Pop3Poller
from domain.messages import InboundDelivery, Stored
from tests.application.test_polling import World, mail


class FakeMaildrop:
    def __init__(self) -> None:
        self.messages: dict[str, bytes] = {}
        self.events: list[str] = []
        self.deleted: set[str] = set()

    def session(self) -> Any:
        drop = self
        numbered = dict(enumerate(sorted(self.messages), start=1))

        class Session:
            def listing(self) -> list[tuple[int, str, int]]:
                return [(n, uid, len(drop.messages[uid])) for n, uid in numbered.items()]

            def retrieve(self, number: int) -> bytes:
                drop.events.append(f"retrieve {numbered[number]}")
                return drop.messages[numbered[number]]

            def delete(self, number: int) -> None:
                drop.events.append(f"delete {numbered[number]}")
                drop.deleted.add(numbered[number])

        return Session()

    def quit(self) -> None:  # RFC 1939 §6: deletions happen at QUIT
        for uid in self.deleted:
            self.messages.pop(uid, None)
        self.deleted.clear()


class Pop3World(World):
    def __init__(self, **settings: Any) -> None:
        super().__init__(pop3_host="pop.example", pop3_username="support@msp.example",
                         **settings)
        self.drop = FakeMaildrop()

    def store(self, delivery: InboundDelivery) -> Stored:
        self.drop.events.append(f"store {delivery.provider_event_id.rpartition('=')[2]}")  # type: ignore[union-attr]
        return self.ingest.store(delivery)

    def take_pop3(self) -> int:
        drop = self.drop

        class Connector:
            @contextmanager
            def connect(self, server: Any) -> Iterator[Any]:
                yield drop.session()
                drop.quit()

            def check(self, server: Any) -> tuple[bool, str]:
                return True, ""

        server = pop3_server(self.settings.current())
        poller = Pop3Poller(self.storage, self.settings, Connector(), self.store)
        with Connector().connect(server) as client:
            return poller.take(client, server)  # type: ignore[arg-type]


def test_pop3_mail_is_stored_once_and_left_on_the_server_by_default() -> None:
    world = Pop3World()
    world.drop.messages = {"a": mail(1), "b": mail(2)}
    assert world.take_pop3() == 2
    assert world.take_pop3() == 0
    world.drop.messages["c"] = mail(3)
    assert world.take_pop3() == 1
    assert world.queued() == [mail(1), mail(2), mail(3)] and len(world.drop.messages) == 3
    assert not any(e.startswith("delete") for e in world.drop.events)


def test_with_delete_a_message_is_deleted_only_after_it_is_stored() -> None:
    world = Pop3World(pop3_delete=True)
    world.drop.messages = {"a": mail(1), "b": mail(2)}
    assert world.take_pop3() == 2
    events = world.drop.events
    assert events.index("store a") < events.index("delete a")
    assert world.drop.messages == {}
    assert world.take_pop3() == 0
    # gone from the server: its unique-id is forgotten (RFC 1939 §7 lets a server reuse it)
    assert world.storage.state.mailboxes.keys() <= {k for k in world.storage.state.mailboxes
                                                    if "#" not in k}
