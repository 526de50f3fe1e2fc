"""The outbox sends up to `smtp_connections` mails side by side, their hand-overs in one commit."""

from __future__ import annotations

import pytest

from domain.errors import SendFailed
from domain.model import OutboxStatus
from tests.application.fakes import FakeInbox
from tests.application.test_use_cases import World


def queued(world: World, count: int) -> None:
    for i in range(count):
        world.receive(f"Question {i}", sender=f"stranger{i}@elsewhere.example")
    world.process()


def statuses(world: World) -> list[OutboxStatus]:
    return [o.status for o in world.state.outbound.values()]


def test_four_mails_on_four_connections_are_handed_over_in_one_durable_commit() -> None:
    world = World(smtp_connections=4)
    queued(world, 8)
    before = world.state.durable_commits
    world.outbox.run_once()
    assert len(world.mailer.sent) == 8 and world.mailer.most_connections == 4
    assert world.state.durable_commits - before == 2  # two groups of four
    assert statuses(world) == [OutboxStatus.SENT] * 8


def test_one_connection_means_one_commit_per_mail() -> None:
    world = World(smtp_connections=1)
    queued(world, 3)
    before = world.state.durable_commits
    world.outbox.run_once()
    assert world.mailer.most_connections == 1 and world.state.durable_commits - before == 3


def test_a_server_that_allows_fewer_connections_still_gets_every_mail() -> None:
    world = World(smtp_connections=4)
    world.mailer.max_connections = 2
    queued(world, 5)
    world.outbox.run_once()
    assert len(world.mailer.sent) == 5 and world.mailer.most_connections == 2
    assert statuses(world) == [OutboxStatus.SENT] * 5


def test_a_failed_hand_over_commit_aborts_every_mail_of_the_group() -> None:
    world = World(smtp_connections=3)
    queued(world, 3)
    original = world.storage.writing
    calls = {"n": 0}

    def failing_durable(*, durable: bool = True):  # the claim is not durable, the hand-over is
        if durable:
            calls["n"] += 1
            raise OSError("disk full")
        return original(durable=durable)

    world.storage.writing = failing_durable  # type: ignore[method-assign]
    try:
        world.outbox.run_once()
    except OSError:
        pass
    assert world.mailer.sent == [] and len(world.mailer.aborted) == 3


def test_a_refused_mail_does_not_hold_back_the_others_of_its_group() -> None:
    world = World(smtp_connections=4)
    queued(world, 2)
    world.mailer.refusals = [SendFailed("550 no such user", permanent=True)]
    world.outbox.run_once()
    assert sorted(statuses(world)) == sorted([OutboxStatus.FAILED, OutboxStatus.SENT])
    assert len(world.mailer.sent) == 1


def test_a_lost_connection_finishes_its_group_and_leaves_the_rest_for_later() -> None:
    world = World(smtp_connections=3)
    queued(world, 6)
    world.mailer.refusals = [SendFailed("connection reset", permanent=False, connection_lost=True)]
    world.outbox.run_once()
    assert len(world.mailer.sent) == 2  # the other two mails of the first group went out
    assert sorted(statuses(world)) == sorted([OutboxStatus.SENT] * 2 + [OutboxStatus.PENDING] * 4)
    assert all(o.last_error for o in world.state.outbound.values()
               if o.status == OutboxStatus.PENDING)


def test_forwards_read_their_originals_one_group_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(smtp_connections=2)
    queued(world, 5)  # strangers: forwarded, each with its original attached
    asked: list[list[int]] = []
    read = FakeInbox.raw_bytes

    def recording(self: FakeInbox, inbound_ids: list[int]) -> dict[int, bytes]:
        asked.append(sorted(inbound_ids))
        return read(self, inbound_ids)

    monkeypatch.setattr(FakeInbox, "raw_bytes", recording)
    world.outbox.run_once()
    assert [len(ids) for ids in asked] == [2, 2, 1]  # never the whole batch's originals at once
    assert sorted(i for ids in asked for i in ids) == sorted(world.state.raw)
    assert len(world.mailer.sent) == 5 and all(original for _, _, original in world.mailer.sent)
