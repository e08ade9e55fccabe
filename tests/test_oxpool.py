"""Reading an Oxigraph worker's answers (server/oxpool.py): the whole-body reader and the re-serialisers.

The reader runs on a real connection, the answer written into the other end as Oxigraph would send it
(chunked, with our own choice of chunk sizes) on a loopback TCP connection and split between what is already buffered and what is
still in the socket, so every partial-read path of :meth:`OxWorker.small_body` is taken.
"""

from __future__ import annotations

import socket

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruhrkg.mappings.vocab import PREFIXES
from ruhrkg.server import oxpool

LAST = b"0\r\n\r\n"


def chunked(body: bytes, sizes: list[int]) -> bytes:
    """``body`` in HTTP/1.1 chunks of the given sizes (cycled), then the last chunk."""
    out, at, i = [], 0, 0
    while at < len(body):
        size = max(1, sizes[i % len(sizes)]) if sizes else len(body)
        piece = body[at : at + size]
        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        at += len(piece)
        i += 1
    return b"".join(out) + LAST


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    """Two ends of a TCP connection on loopback (what a worker connection is)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        ours = socket.create_connection(server.getsockname())
        theirs, _ = server.accept()
    return ours, theirs


@pytest.fixture()
def connection():
    """An OxWorker without a process: our end of a socket pair, and the worker's end to write answers into."""
    ours, theirs = tcp_pair()
    worker = object.__new__(oxpool.OxWorker)
    worker.buf = b""
    worker._use(ours)
    yield worker, theirs
    ours.close()
    theirs.close()


def answer(worker, theirs, raw: bytes, buffered: int, *, chunked_body: bool = True) -> None:
    """Put ``raw`` (an answer's body as sent) where the reader finds it: ``buffered`` bytes already read."""
    worker.buf = raw[:buffered]
    theirs.sendall(raw[buffered:])
    worker._chunked, worker._length, worker._left = chunked_body, None if chunked_body else len(raw), 5.0


# Bodies with the bytes that matter to a chunk reader in them: CRLF, a "0" line, the last-chunk sequence.
BODY = st.lists(st.sampled_from([b"a", b"\r\n", b"0\r\n\r\n", b"\r\n0\r\n\r\n", b";", b"\xff", b"{}"]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(body=BODY.map(b"".join), sizes=st.lists(st.integers(1, 9), max_size=4), cut=st.integers(0, 400))
def test_a_chunked_answer_is_read_whole(body, sizes, cut):
    ours, theirs = tcp_pair()
    try:
        worker = object.__new__(oxpool.OxWorker)
        worker.buf = b""
        worker._use(ours)
        raw = chunked(body, sizes) + b"HTTP/1.1 next"
        answer(worker, theirs, raw, min(cut, len(raw)))
        assert worker.small_body(10_000) == body
        while not worker.buf.endswith(b"next"):  # what follows the answer stays for the next one
            worker._recv(1.0)
        assert worker.buf == b"HTTP/1.1 next"
    finally:
        ours.close()
        theirs.close()


def test_an_answer_over_the_limit_is_left_whole_for_streaming(connection):
    worker, theirs = connection
    body = b"x" * 5000
    answer(worker, theirs, chunked(body, [1000]), 10)
    assert worker.small_body(4096) is None
    assert b"".join(worker.body()) == body  # nothing was consumed


def test_an_answer_with_a_length_is_read_whole(connection):
    worker, theirs = connection
    answer(worker, theirs, b"12345" + b"rest", 2, chunked_body=False)
    worker._length = 5
    assert worker.small_body(100) == b"12345"
    assert worker.buf.startswith(b"rest") or worker.buf == b""


def test_a_chunk_extension_is_ignored_and_a_malformed_chunk_refused(connection):
    worker, theirs = connection
    answer(worker, theirs, b"3;name=value\r\nabc\r\n" + LAST, 0)
    assert worker.small_body(100) == b"abc"
    worker.buf = b""
    answer(worker, theirs, b"zz\r\nabc\r\n" + LAST, 0)
    with pytest.raises(oxpool.Broken):
        worker.small_body(100)


def test_a_closed_connection_mid_answer_is_broken(connection):
    worker, theirs = connection
    answer(worker, theirs, b"5\r\nab", 0)
    theirs.close()
    with pytest.raises(oxpool.Broken):
        worker.small_body(100)


NTRIPLES = (
    b'<https://w3id.org/ruhrkg/id/forum/01> <http://www.w3.org/2000/01/rdf-schema#label> "Forum 1"@de .\n'
    b"<https://w3id.org/ruhrkg/id/forum/01> <https://w3id.org/ruhrkg/def#number> "
    b'"1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    b"_:b0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/ruhrkg/def#Event> .\n"
)


@pytest.mark.parametrize(
    ("fmt", "quads"),
    [
        (ox.RdfFormat.TURTLE, False),
        (ox.RdfFormat.TRIG, True),
        (ox.RdfFormat.JSON_LD, False),
        (ox.RdfFormat.RDF_XML, False),
    ],  # fmt: skip
)
@pytest.mark.parametrize("data", [NTRIPLES, b""], ids=["triples", "empty"])
def test_a_whole_answer_is_reserialised_as_the_streaming_writer_does(fmt, quads, data):
    prefixes = dict(PREFIXES) if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    streamed = b"".join(oxpool.Reserialiser(iter([data[:50], data[50:]]), fmt, prefixes, quads))
    whole = oxpool.reserialise(data, fmt, prefixes, quads)
    assert whole == streamed
    assert (b"Forum 1" in whole) == bool(data)
