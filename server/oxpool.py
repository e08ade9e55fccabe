"""Query workers that are Oxigraph server processes: the engine of pyoxigraph, without Python around each query.

:class:`~ruhrkg.server.executor.QueryService` runs every query in a worker
process it can kill. With this engine (the default when the ``oxigraph``
program of the `oxigraph` package is installed and the store is small enough
to copy into memory) a worker is ``oxigraph serve`` holding an in-memory copy
of the build, bound to an ephemeral port on 127.0.0.1, answering one query at
a time over a kept-alive HTTP/1.1 connection. Measured here, a worker process
that runs pyoxigraph spends 0.2-0.3 ms of Python (reading the request,
decoding it, the result's writes) around each ad-hoc query, about half the
query itself; Oxigraph's own server spends almost nothing.

Two kinds of worker:

- **plain**: the default dataset (data + ontology) alone, in the store's
  default graph. Oxigraph's in-memory store walks the quads of a predicate in
  every graph, so a query that names no graph runs up to a third faster on a
  store without the named graphs. It answers default-dataset queries whose
  text does not contain the word "graph" (so they cannot reach a named graph).
- **full**: the data and ontology merged into the default graph, plus every
  named graph of the build. It answers the rest, with the dataset as the
  protocol's ``default-graph-uri``/``named-graph-uri`` parameters.

What stays as it is: the pre-checks run in the web process before a query is
sent (Update and SERVICE refused, length and nesting limits); the time limit
is ours (the worker is killed when it runs out, its client gets 503); each
worker's address space is capped (``RLIMIT_AS``; an allocation beyond it
aborts the worker, the client gets 503 naming the limit); a killed or crashed
worker is replaced. Workers die with the process that started them
(``PR_SET_PDEATHSIG``), so none is left behind.

CONSTRUCT and DESCRIBE results are asked for as N-Triples; Turtle, TriG,
JSON-LD and RDF/XML are written from them in this process with the project's
prefixes, as the pyoxigraph workers write them: an answer that arrived whole
(up to 64 KB) in the request's thread, a larger one in a thread, as it arrives.

The workers accept connections from any process on this host: an in-memory
Oxigraph server has an update endpoint, so a local user could change a
worker's copy of the data (never the build). On a host shared with untrusted
local users, use ``--query-engine python``.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
START_TIMEOUT = 20.0  # seconds for a worker to listen and take its data
#: Oxigraph's server times out a kept-alive connection's wait for the next request (after about a minute it
#: answers that request with a 500, "Resource temporarily unavailable"): a connection idle this long is renewed.
FRESH_SECONDS = 20.0
MAX_HEAD = 64 * 1024

#: Runs in the new process before it becomes the Oxigraph server: die with the thread that started us,
#: cap the address space, then exec (argv: parent pid, limit in bytes, program, arguments ...).
_SHIM = """
import ctypes, os, resource, signal, sys
ctypes.CDLL(None).prctl(1, signal.SIGKILL)
if os.getppid() != int(sys.argv[1]):
    os._exit(70)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
os.execv(sys.argv[3], sys.argv[3:])
"""


class WorkerError(Exception):
    """A worker that could not be started, or broke the protocol."""


def oxigraph_program() -> str | None:
    """The ``oxigraph`` program installed with this Python (the `oxigraph` package), or one on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


def store_data(store_path: str, default_graphs: list[str]) -> tuple[bytes, bytes]:
    """N-Quads for the two kinds of worker: (plain, full) -- the default dataset merged into the default
    graph, and that plus every named graph of the store."""
    store = ox.Store.read_only(store_path)
    merged = [
        ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
        for g in default_graphs
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
    ]
    plain = ox.serialize(merged, format=ox.RdfFormat.N_QUADS)
    named = ox.serialize(store.quads_for_pattern(None, None, None, None), format=ox.RdfFormat.N_QUADS)
    return plain, plain + named


class Spawner:
    """Starts processes from one long-lived thread: ``PR_SET_PDEATHSIG`` fires when the *thread* that started a
    process ends, and request threads come and go."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ruhrkg-spawner", daemon=True)
        self._thread.start()

    def popen(self, *args, **kwargs) -> subprocess.Popen:
        done: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs.put((args, kwargs, done))
        ok, value = done.get()
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            args, kwargs, done = job
            try:
                done.put((True, subprocess.Popen(*args, **kwargs)))
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                done.put((False, e))


class Expired(Exception):
    """The query's time ran out."""


class Broken(Exception):
    """The worker closed the connection or answered out of protocol."""


class OxWorker:
    """One ``oxigraph serve`` process with its data, and our kept-alive connection to it."""

    def __init__(self, *, program: str, kind: str, data: bytes, memory_limit_mb: int, generation: int,
                 spawner: Spawner) -> None:  # fmt: skip
        self.kind, self.generation = kind, generation
        self.errors = tempfile.TemporaryFile()
        self.sock: socket.socket | None = None
        self.buf = b""
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "RUST_BACKTRACE": "0"}
        limit = str(memory_limit_mb * 1024 * 1024)
        deadline = time.monotonic() + START_TIMEOUT
        for _attempt in range(3):  # a free port can be taken by someone else before the server binds it
            port = _free_port()
            self.proc = spawner.popen(
                [sys.executable, "-c", _SHIM, str(os.getpid()), limit, program, "serve", "--bind", f"127.0.0.1:{port}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.errors, env=env,
            )  # fmt: skip
            self.port = port
            if self._connect(deadline):
                break
        else:
            raise WorkerError(f"the Oxigraph worker did not start: {self.stderr_tail() or 'no message'}")
        try:
            status, _, _ = self.exchange(
                "POST", "/store", b"application/n-quads", data, "*/*", deadline - time.monotonic()
            )
            if status != 204:
                raise WorkerError(f"the Oxigraph worker refused its data (HTTP {status})")
            self.finish_body(deadline - time.monotonic())
        except (Expired, Broken, OSError) as e:
            self.kill()
            raise WorkerError(f"the Oxigraph worker could not load its data: {e or type(e).__name__}") from None

    def _connect(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            except OSError:
                time.sleep(0.01)
                continue
            self._use(sock)
            return True
        self.signal()
        return False

    def fresh(self) -> None:
        """Before a request: a connection idle for :data:`FRESH_SECONDS` is replaced by a new one."""
        now = time.monotonic()
        if now - self.used > FRESH_SECONDS:
            old, self.buf = self.sock, b""
            self._use(socket.create_connection(("127.0.0.1", self.port), timeout=1))
            old.close()
        self.used = now

    def _use(self, sock: socket.socket) -> None:
        """Make ``sock`` the connection to the worker (non-blocking, with a poller for each direction)."""
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self._readable, self._writable = select.poll(), select.poll()
        self._readable.register(sock, select.POLLIN)
        self._writable.register(sock, select.POLLOUT)
        self.sock, self.used = sock, time.monotonic()

    # -- one HTTP exchange -----------------------------------------------------------------------------------

    def exchange(self, method: str, target: str, content_type: bytes, body: bytes, accept: str,
                 left: float) -> tuple[int, dict[bytes, bytes], float]:  # fmt: skip
        """Send a request and read the status line and headers; returns (status, headers, seconds left)."""
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\nContent-Length: {len(body)}\r\n"
        left = self._send(b"".join((head.encode("latin-1"), b"Content-Type: ", content_type, b"\r\n\r\n", body)), left)
        if b"\r\n\r\n" not in self.buf:
            left = self._recv(self._wait(self._readable, left))  # the answer cannot be there yet: wait first
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise Broken("an oversized response head")
            left = self._recv(left)
        raw, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        try:
            status = int(lines[0].split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise Broken("a malformed status line") from None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        self._length = int(headers[b"content-length"]) if b"content-length" in headers else None
        self._chunked = headers.get(b"transfer-encoding", b"").lower() == b"chunked"
        if self._length is None and not self._chunked and status not in (204, 304):
            raise Broken("an answer without a length")
        if status in (204, 304):
            self._length = 0
        self._left = left
        return status, headers, left

    def body(self) -> Iterator[bytes]:
        """The body of the answer in pieces as they arrive (raises :class:`Expired` or :class:`Broken`)."""
        if not self._chunked:
            remaining = self._length or 0
            while remaining:
                if not self.buf:
                    self._left = self._recv(self._left)
                piece, self.buf = self.buf[:remaining], self.buf[remaining:]
                remaining -= len(piece)
                yield piece
            return
        while True:
            while b"\r\n" not in self.buf:
                if len(self.buf) > 1024:
                    raise Broken("a malformed chunk")
                self._left = self._recv(self._left)
            line, _, self.buf = self.buf.partition(b"\r\n")
            size = _chunk_size(line)
            if size == 0:
                while not self.buf.startswith(b"\r\n"):  # no trailers from Oxigraph; read to the empty line
                    if b"\r\n\r\n" in self.buf:
                        self.buf = self.buf.split(b"\r\n\r\n", 1)[1]
                        return
                    self._left = self._recv(self._left)
                self.buf = self.buf[2:]
                return
            while size:
                if not self.buf:
                    self._left = self._recv(self._left)
                piece, self.buf = self.buf[:size], self.buf[size:]
                size -= len(piece)
                yield piece
            while len(self.buf) < 2:
                self._left = self._recv(self._left)
            self.buf = self.buf[2:]

    def small_body(self, limit: int) -> bytes | None:
        """The whole body if it is at most ``limit`` bytes (read in one go, without :meth:`body`'s pieces), else
        None with nothing consumed: :meth:`body` streams it. Most answers are small."""
        if not self._chunked:
            size = self._length or 0
            if size > limit:
                return None
            while len(self.buf) < size:
                self._left = self._recv(self._left)
            data, self.buf = self.buf[:size], self.buf[size:]
            return data
        # chunked: take the chunks apart in the buffer, reading on until the last one (nothing is consumed
        # before the end, so a body over the limit is still whole for body())
        pieces, at, total = [], 0, 0
        while True:
            buf = self.buf
            line_end = buf.find(b"\r\n", at)
            if line_end == -1:
                if len(buf) - at > 1024:
                    raise Broken("a malformed chunk")
                self._left = self._recv(self._left)
                continue
            size = _chunk_size(buf[at:line_end])
            if size == 0:  # the last chunk; no trailers from Oxigraph: read to the empty line
                end = buf.find(b"\r\n\r\n", line_end)
                if end == -1:
                    self._left = self._recv(self._left)
                    continue
                self.buf = buf[end + 4 :]
                return b"".join(pieces)
            if total + size > limit:
                return None
            start = line_end + 2
            if len(buf) < start + size + 2:
                self._left = self._recv(self._left)
                continue
            if buf[start + size : start + size + 2] != b"\r\n":
                raise Broken("a malformed chunk")
            pieces.append(buf[start : start + size])
            total += size
            at = start + size + 2

    def finish_body(self, left: float) -> bytes:
        self._left = left
        return b"".join(self.body())

    # The socket is non-blocking: a send or a read is tried first and waited for (poll, with the time left)
    # only when it would block, one system call less than a socket timeout costs on each.

    def _send(self, data: bytes, left: float) -> float:
        view = memoryview(data)
        try:
            while view:
                try:
                    view = view[self.sock.send(view) :]
                except BlockingIOError:
                    left = self._wait(self._writable, left)
        except OSError as e:
            raise Broken(str(e)) from None
        return left

    def _recv(self, left: float) -> float:
        while True:
            try:
                data = self.sock.recv(CHUNK)
                break
            except BlockingIOError:
                left = self._wait(self._readable, left)
            except OSError as e:
                raise Broken(str(e)) from None
        if not data:
            raise Broken("the worker closed the connection")
        self.buf += data
        return left

    def _wait(self, poller, left: float) -> float:
        if left <= 0:
            raise Expired
        start = time.monotonic()
        if not poller.poll(math.ceil(left * 1000)):
            raise Expired
        return left - (time.monotonic() - start)

    # -- the process ---------------------------------------------------------------------------------------

    def stderr_tail(self) -> str:
        try:
            self.errors.seek(0, os.SEEK_END)
            self.errors.seek(max(0, self.errors.tell() - 8000))
            return self.errors.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def death(self) -> tuple[int | None, str]:
        """The exit status of a worker whose connection broke (None if it still runs), and its last words."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        return code, self.stderr_tail()

    def signal(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

    def kill(self) -> None:
        self.signal()
        self.proc.wait()
        self.forget()

    def forget(self) -> None:
        for f in (self.sock, self.errors):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass


def _chunk_size(line: bytes) -> int:
    """The size on a chunk's line of a chunked HTTP body (an extension after ';' ignored); Broken if none."""
    try:
        return int(line, 16)
    except ValueError:
        try:
            return int(line.split(b";", 1)[0], 16)
        except ValueError:
            raise Broken("a malformed chunk") from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reserialiser:
    """N-Triples in, another RDF format out, with prefixes, as the pieces arrive: pyoxigraph parses and writes
    in a thread; pieces of output come through a small queue (so a large result never sits in memory)."""

    _END = object()

    def __init__(self, pieces: Iterator[bytes], fmt: ox.RdfFormat, prefixes: dict | None, quads: bool) -> None:
        self._pieces, self._fmt, self._prefixes, self._quads = pieces, fmt, prefixes, quads
        self._out: queue.Queue = queue.Queue(maxsize=8)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ruhrkg-reserialise", daemon=True)
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        item = self._out.get()
        if item is self._END:
            self._out.put(self._END)
            raise StopIteration
        if isinstance(item, BaseException):
            self._out.put(self._END)
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        try:
            while True:
                self._out.get_nowait()  # unblock the writer
        except queue.Empty:
            pass

    def _run(self) -> None:
        source = _PieceReader(self._pieces, self._stop)
        try:
            writer = _QueueWriter(self._out, self._stop)
            ox.serialize(_statements(source, self._quads), writer, self._fmt, prefixes=self._prefixes)
            writer.flush()
            self._put(self._END)
        except _Stopped:
            pass
        except BaseException as e:  # noqa: BLE001 - the reader raises it in the request's thread
            self._put(source.error or e)  # the worker's own error (a timeout ...), not pyoxigraph's wrapping of it
        finally:
            close = getattr(self._pieces, "close", None)
            if close is not None:
                close()  # a body not read to its end gives its worker up

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def reserialise(data: bytes, fmt: ox.RdfFormat, prefixes: dict | None, quads: bool) -> bytes:
    """A complete N-Triples answer in another RDF format, written in the caller's thread: what
    :class:`Reserialiser` writes, without a thread for an answer that has arrived whole."""
    return ox.serialize(_statements(data, quads), None, fmt, prefixes=prefixes)


def _statements(source, quads: bool):
    """The triples of N-Triples (bytes or a file), as quads in the default graph if ``quads``."""
    triples = ox.parse(source, format=ox.RdfFormat.N_TRIPLES)
    if quads:
        return (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return triples


class _Stopped(Exception):
    pass


class _PieceReader:
    """A read-only file over an iterator of byte pieces."""

    def __init__(self, pieces: Iterator[bytes], stop: threading.Event) -> None:
        self._pieces, self._stop, self._buf = pieces, stop, b""
        self.error: BaseException | None = None

    def read(self, n: int = -1) -> bytes:
        if self._stop.is_set():
            raise _Stopped
        while not self._buf:
            try:
                piece = next(self._pieces, None)
            except BaseException as e:
                self.error = e
                raise
            if piece is None:
                return b""
            self._buf = piece
        if n is None or n < 0:
            n = len(self._buf)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def readable(self) -> bool:
        return True


class _QueueWriter:
    def __init__(self, out: queue.Queue, stop: threading.Event) -> None:
        self._out, self._stop, self._buf = out, stop, bytearray()

    def write(self, data) -> int:
        self._buf += data
        if len(self._buf) >= CHUNK:
            self._emit()
        return len(data)

    def flush(self) -> None:
        if self._buf:
            self._emit()

    def _emit(self) -> None:
        piece, self._buf = bytes(self._buf), bytearray()
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._out.put(piece, timeout=0.1)
                return
            except queue.Full:
                continue
