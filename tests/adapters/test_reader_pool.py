"""MessageReader: messages read in a child process, each under a time limit, in order."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from adapters.mail.reader_pool import READER_NICENESS, MessageReader
from adapters.xml.parse import parse_transaction
from domain.messages import ReadJob, ReadMessage
from tests.mail import email

LIMIT = 0.5


def slow_to_read(parts: int = 100_000) -> bytes:
    """About 2.4 s of parsing here (100,000 MIME parts): far over LIMIT."""
    return (b"From: a@acme.example\r\nSubject: slow\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + b"--b\r\n\r\nx\r\n" * parts + b"--b--\r\n")


@pytest.fixture
def reader() -> Iterator[MessageReader]:
    reader = MessageReader(processes=1, time_limit=LIMIT, xml_parse=parse_transaction)
    yield reader
    reader.close()


def subject(result: ReadMessage | str) -> str:
    assert isinstance(result, ReadMessage), result
    return result.view.subject


def test_a_message_over_the_limit_is_stopped_and_the_rest_of_the_batch_is_read(
        reader: MessageReader) -> None:
    jobs = [ReadJob(1, email(subject="first"), None), ReadJob(2, slow_to_read(), None),
            ReadJob(3, email(subject="third"), None), ReadJob(4, email(subject="fourth"), None)]
    results = reader.read_all(jobs)
    assert subject(results[1]) == "first"
    assert results[2] == (f"reading the message took longer than {LIMIT:g} s (the limit per "
                          "message); it was stopped")
    assert [subject(results[3]), subject(results[4])] == ["third", "fourth"]
    # The reader goes on with the next batch (in a new child process).
    assert subject(reader.read_all([ReadJob(5, email(subject="next"), None)])[5]) == "next"


def test_results_come_back_by_key_and_garbage_is_read_not_raised(reader: MessageReader) -> None:
    jobs = [ReadJob(key, raw, None) for key, raw in
            [(10, email(subject="a")), (7, b"\x00\xff not mail"), (99, email(subject="b"))]]
    results = reader.read_all(jobs)
    assert sorted(results) == [7, 10, 99]
    assert (subject(results[10]), subject(results[99])) == ("a", "b")
    assert isinstance(results[7], ReadMessage) and results[7].view.from_address is None


def test_the_child_reads_exactly_as_the_calling_thread_does(reader: MessageReader) -> None:
    raw = email(html="<p>hi</p>", attachments=[("a.txt", "text/plain", b"data")])
    in_thread = MessageReader(processes=0, time_limit=LIMIT, xml_parse=parse_transaction)
    assert reader.read_all([ReadJob(1, raw, "bob@acme.example")]) == \
        in_thread.read_all([ReadJob(1, raw, "bob@acme.example")])


def test_a_batch_must_be_collected_before_the_next_is_submitted(reader: MessageReader) -> None:
    reader.submit([ReadJob(1, email(), None)])
    with pytest.raises(RuntimeError):
        reader.submit([ReadJob(2, email(), None)])
    assert set(reader.collect()) == {1}


def test_a_reader_process_that_dies_fails_only_the_message_it_was_reading(
        reader: MessageReader) -> None:
    reader.submit([ReadJob(1, slow_to_read(), None), ReadJob(2, email(subject="after"), None)])
    time.sleep(0.1)  # the child is parsing the slow message
    os.kill(reader._children[0].process.pid, signal.SIGKILL)  # as the kernel's OOM killer would
    results = reader.collect()
    assert isinstance(results[1], str) and results[1].startswith("the reader process failed")
    assert subject(results[2]) == "after"


def test_large_attachments_come_back_from_the_child_whole_and_in_place(
        reader: MessageReader) -> None:
    files = [("empty.txt", "text/plain", b""), ("big.pdf", "application/pdf", os.urandom(3_000_000)),
             ("small.txt", "text/plain", b"small"), ("second.zip", "application/zip",
                                                     os.urandom(200_000))]
    raws = [email(subject="files", attachments=files), email(subject="plain")]
    jobs = [ReadJob(key, raw, None) for key, raw in enumerate(raws)]
    in_thread = MessageReader(processes=0, time_limit=LIMIT, xml_parse=parse_transaction)
    results = reader.read_all(jobs)
    assert results == in_thread.read_all(jobs)
    document = results[0].document  # type: ignore[union-attr]
    assert [(a.filename, a.data) for a in document.attachments] == \
        [(name, data) for name, _, data in files]


def test_several_readers_share_a_batch_and_answer_for_every_message_in_order() -> None:
    reader = MessageReader(processes=2, time_limit=LIMIT, xml_parse=parse_transaction)
    try:
        jobs = [ReadJob(i, email(subject=f"m{i}"), None) for i in range(1, 6)]
        jobs.insert(2, ReadJob(99, slow_to_read(), None))  # in the first child's share
        reader.submit(jobs)
        results = reader.collect()
        assert list(results) == [1, 2, 99, 3, 4, 5]
        assert isinstance(results[99], str) and "longer than" in results[99]
        assert [subject(results[i]) for i in (1, 2, 3, 4, 5)] == ["m1", "m2", "m3", "m4", "m5"]
        pids = {child.process.pid for child in reader._children if child.process}
        reader.submit([ReadJob(7, email(subject="next"), None)])  # a new first child
        assert subject(reader.collect()[7]) == "next"
        assert len(pids) == 1  # the first was killed on the slow one; the second kept
    finally:
        reader.close()


def test_the_reader_child_runs_at_a_lower_priority_than_its_parent(reader: MessageReader) -> None:
    reader.read_all([ReadJob(1, email(subject="first"), None)])  # the child starts
    child = reader._children[0].process.pid  # noqa: SLF001
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, child) == min(ours + READER_NICENESS, 19)
