"""The embedded engine: a bounded pool of killable query worker processes (:mod:`.worker`) on the current build.

Each worker opens the store read-only, copies a small one into memory, caps its own address space with
``RLIMIT_AS`` and runs queries on a thread with a 64 MB stack. The web process talks to it over the pipes of
its stdin and stdout: nothing listens anywhere. The caller waits with a deadline; on timeout the worker is
killed with SIGKILL (which really ends its CPU and memory use) and replaced. A worker that dies (memory
limit, stack overflow, any crash) is replaced too, and the caller gets an error, never a hang. As a backstop,
a worker caps its own CPU time per query (``RLIMIT_CPU``) and ends when its stdin closes, so it cannot
outlive the web process by more than one query.

The pool holds at most ``workers`` processes of at most ``memory_limit_mb`` each, so its memory is bounded
by their product; ``ruhrkg serve`` bounds the sum over its HTTP workers (see :mod:`ruhrkg.server.config`).
It is started lazily on the first query and belongs to the process that started it, so a pool may be created
before a pre-forking HTTP server forks: each HTTP worker starts its own.
"""

from __future__ import annotations

import json
import logging
import marshal
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NoReturn

from ruhrkg.server.query.errors import (
    QueryEvaluationError,
    QueryFailed,
    QueryResourceLimit,
    QueryServiceError,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
    WorkerCrashed,
    one_line,
)
from ruhrkg.server.query.result import Job, Result
from ruhrkg.server.query.worker import CHUNK, FRAME, LENGTH

log = logging.getLogger(__name__)

MIN_MEMORY_MB = 256  # a worker needs about 180 MB of address space before its first query


class _Expired(Exception):
    pass


class _Dead(Exception):
    pass


class _Budget:
    """Seconds a query may still spend waiting for a worker, or for its worker's output."""

    def __init__(self, seconds: float):
        self.left = seconds

    def wait(self, fn, *args):
        start = time.monotonic()
        try:
            return fn(*args)
        finally:
            self.left -= time.monotonic() - start


_BOOT = "from ruhrkg.server.query.worker import main; main()"


class _Worker:
    """One worker process and the parent's ends of its pipes."""

    def __init__(self, config: bytes, generation: int):
        self.generation = generation
        self.errors = tempfile.TemporaryFile()
        # glibc reserves 64 MB of address space per arena; a Rust backtrace would bury the
        # "memory allocation of N bytes failed" line that tells an out-of-memory abort from a crash
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "RUST_BACKTRACE": "0"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, env=env
        )
        self.wfd = self.proc.stdin.fileno()
        self.rfd = self.proc.stdout.fileno()
        os.set_blocking(self.wfd, False)
        self.poll_in = select.poll()
        self.poll_in.register(self.rfd, select.POLLIN)
        self.poll_out = select.poll()
        self.poll_out.register(self.wfd, select.POLLOUT)
        self.buf = bytearray()
        self.pending = LENGTH.pack(len(config)) + config
        try:  # written now, so the worker opens the store while it waits for its first query
            self.pending = self.pending[os.write(self.wfd, self.pending) :]
        except OSError:
            pass  # a worker that died at once is noticed by its first query

    def send(self, message: bytes, budget: _Budget) -> None:
        data = memoryview(self.pending + LENGTH.pack(len(message)) + message)
        self.pending = b""
        while data:
            try:
                data = data[os.write(self.wfd, data) :]
            except BlockingIOError:
                if budget.left <= 0 or not budget.wait(self.poll_out.poll, math.ceil(budget.left * 1000)):
                    raise _Expired from None
            except (BrokenPipeError, ConnectionResetError):
                raise _Dead from None

    def frame(self, budget: _Budget) -> tuple[bytes, bytes]:
        """The next frame; :class:`_Expired` when the budget runs out, :class:`_Dead` if the worker died."""
        while True:
            if len(self.buf) >= FRAME.size:
                kind, size = FRAME.unpack_from(self.buf)
                end = FRAME.size + size
                if len(self.buf) >= end:
                    payload = bytes(self.buf[FRAME.size : end])
                    del self.buf[:end]
                    return kind, payload
            if budget.left <= 0 or not budget.wait(self.poll_in.poll, math.ceil(budget.left * 1000)):
                raise _Expired
            try:
                data = os.read(self.rfd, CHUNK)
            except OSError:
                data = b""
            if not data:
                raise _Dead
            self.buf += data

    def death(self) -> tuple[int | None, str]:
        """The exit status of a worker whose pipe closed, and the end of what it wrote to stderr."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.errors.seek(0, os.SEEK_END)
        self.errors.seek(max(0, self.errors.tell() - 8000))
        return code, self.errors.read().decode("utf-8", "replace")

    def kill(self) -> None:
        self.signal()
        self.proc.wait()
        self.forget()

    def signal(self) -> None:
        """SIGKILL the process, leaving its pipes to the thread that may be reading them."""
        if self.proc.poll() is None:
            self.proc.kill()

    def forget(self) -> None:
        """Close the parent's ends without touching the process (after a fork, it is not ours)."""
        for f in (self.proc.stdin, self.proc.stdout, self.errors):
            try:
                f.close()
            except OSError:
                pass


class _Stream:
    """The chunks of a result larger than one frame, read from the worker as they are consumed."""

    def __init__(self, service: WorkerPool, worker: _Worker, budget: _Budget, read: list[bytes]):
        self._service, self._worker, self._budget, self._read = service, worker, budget, read

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self._read:
            return self._read.pop(0)
        if self._worker is None:
            raise StopIteration
        worker = self._worker
        self._worker = None  # _receive releases or discards it unless it returns a data frame
        kind, payload = self._service._receive(worker, self._budget)
        if kind == b"E":
            raise StopIteration
        self._worker = worker
        return payload

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            self._service._discard(worker)

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass



class WorkerPool:
    """Runs checked queries on a build's store in a pool of killable worker processes.

    ``memory_limit_mb`` caps each worker's address space (``RLIMIT_AS``), which includes about 180 MB the
    worker maps before its first query. ``timeout`` is the seconds a query may spend waiting for a free
    worker plus waiting for its worker's output (time the caller spends with the chunks is not counted).
    Thread-safe: each :meth:`run` borrows one idle worker.
    """

    def __init__(self, store_path: str | Path, *, workers: int = 2, timeout: float = 10.0,
                 memory_limit_mb: int = 1024, in_memory_max_quads: int = 500_000,
                 default_graphs: tuple[str, ...] = (), prefixes: dict[str, str] | None = None):  # fmt: skip
        if workers < 1 or timeout <= 0:
            raise ValueError("need at least one query worker and a positive timeout")
        if memory_limit_mb < MIN_MEMORY_MB:
            raise ValueError(f"memory_limit_mb must be at least {MIN_MEMORY_MB}")
        self.workers = workers
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.in_memory_max_quads = in_memory_max_quads
        self._default_graphs = list(default_graphs)
        self._prefixes = dict(prefixes or {})
        self._store_path = str(store_path)
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._generation = 0
        self._pid: int | None = None
        self._closed = False

    def run(self, job: Job) -> Result:
        """Run one checked query in a worker; its answer streams back as the result's chunks."""
        form, media_type = job.form, job.media_type
        request = {
            "query": job.text,
            "format": job.result_format,
            "dataset": job.dataset,
            "substitutions": job.substitutions,
            "base_iri": job.base_iri,
            "cpu": math.ceil(2 * self.timeout) + 5,  # backstop if the web process dies mid-query
        }
        budget = _Budget(self.timeout)
        worker = self._acquire(budget)
        try:
            try:
                worker.send(marshal.dumps(request), budget)
            except (_Expired, _Dead) as e:
                self._fail(worker, e)
            kind, payload = self._receive(worker, budget)
            if kind == b"E":
                return Result(form, media_type, ())
            # A result that fits one frame (most do) is complete once the next frame says so.
            kind2, payload2 = self._receive(worker, budget)
        except QueryServiceError:
            raise  # the worker has been released or replaced
        except BaseException:
            self._discard(worker)
            raise
        if kind2 == b"E":
            return Result(form, media_type, (payload,))
        return Result(form, media_type, _Stream(self, worker, budget, [payload, payload2]))

    def reload(self, store_path: str | Path) -> None:
        """Serve a new store: idle workers are replaced now, busy ones when their query ends."""
        with self._cond:
            self._store_path = str(store_path)
            self._generation += 1
            idle, self._idle = self._idle, []
            self._all.difference_update(idle)
        for worker in idle:
            worker.kill()
        if self._pid == os.getpid():
            with self._cond:
                self._fill()

    def close(self) -> None:
        """Kill every worker; queries still running fail with :class:`WorkerCrashed`."""
        with self._cond:
            self._closed = True
            idle, busy = self._idle, self._all.difference(self._idle)
            self._all, self._idle = set(), []
            self._cond.notify_all()
        if self._pid == os.getpid():
            for worker in idle:
                worker.kill()
            for worker in busy:
                worker.signal()  # its query's thread sees the pipe close and cleans up

    def pids(self) -> list[int]:
        """The process ids of the live workers (for tests and diagnostics)."""
        with self._cond:
            return [w.proc.pid for w in self._all]

    # -- the pool ----------------------------------------------------------------

    def _config(self) -> bytes:
        return marshal.dumps({
            "store_path": self._store_path,
            "memory_limit_mb": self.memory_limit_mb,
            "in_memory_max_quads": self.in_memory_max_quads,
            "default_graphs": self._default_graphs,
            "prefixes": self._prefixes,
        })  # fmt: skip

    def _fill(self) -> None:
        """Start workers until the pool is full (with the lock held)."""
        config = self._config()
        while not self._closed and len(self._all) < self.workers:
            try:
                worker = _Worker(config, self._generation)
            except OSError as e:
                log.error("cannot start a query worker: %s", e)
                return
            self._all.add(worker)
            self._idle.append(worker)
            self._cond.notify()

    def _acquire(self, budget: _Budget) -> _Worker:
        with self._cond:
            if self._pid != os.getpid():  # first use, or first use after a fork
                self._adopt()
            while True:
                if self._closed:
                    raise QueryServiceError(503, "the query service is closed")
                if self._idle:
                    return self._idle.pop()
                self._fill()
                if self._idle:
                    return self._idle.pop()
                if not self._all:
                    raise StoreUnavailable(503, "cannot start a query worker; try again later")
                if budget.left <= 0:
                    raise QueryTimeout(
                        503, f"no query worker became free within the {self.timeout:g} s time limit; try again later"
                    )
                budget.wait(self._cond.wait, budget.left)

    def _adopt(self) -> None:
        """First use in this process (with the lock held): a parent's workers and pipes are not ours."""
        for worker in self._all:
            worker.forget()
        self._all, self._idle, self._pid = set(), [], os.getpid()

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if worker in self._all and worker.generation == self._generation and not self._closed:
                self._idle.append(worker)
                self._cond.notify()
                return
        self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement."""
        with self._cond:
            self._all.discard(worker)
        worker.kill()
        with self._cond:
            if not self._closed and self._pid == os.getpid():
                self._fill()

    def _receive(self, worker: _Worker, budget: _Budget) -> tuple[bytes, bytes]:
        """The next data or end frame of ``worker``; on "E" the worker is released, on errors it is released
        (a failed query) or discarded (timeout, crash) and the matching :class:`QueryServiceError` raised."""
        try:
            kind, payload = worker.frame(budget)
        except (_Expired, _Dead) as e:
            self._fail(worker, e)
        if kind == b"D":
            return kind, payload
        if kind == b"E":
            self._release(worker)
            return kind, payload
        error = json.loads(payload)
        if error["kind"] == "startup":
            self._discard(worker)
            raise WorkerCrashed(500, error["message"])
        self._release(worker)
        if error["kind"] == "syntax":
            raise QuerySyntaxError(400, f"malformed query: {one_line(error['message'])}")
        if error["kind"] == "memory":
            raise QueryResourceLimit(503, f"the query exceeded the {self.memory_limit_mb} MB memory limit")
        if error["kind"] == "query":
            raise QueryEvaluationError(400, f"the query cannot be evaluated: {one_line(error['message'])}")
        if error["kind"] == "service":
            raise QueryFailed(502, f"a SERVICE endpoint failed: {one_line(error['message'])}")
        raise QueryFailed(500, f"query failed: {one_line(error['message'])}")

    def _fail(self, worker: _Worker, cause: Exception) -> NoReturn:
        """Discard a worker that timed out or died and raise the error for the caller."""
        if isinstance(cause, _Expired):
            self._discard(worker)
            raise QueryTimeout(503, f"the query did not finish within the {self.timeout:g} s time limit")
        code, stderr = worker.death()
        self._discard(worker)
        sig = -code if code is not None and code < 0 else None
        log.warning("query worker %d died (exit status %s): %s", worker.proc.pid, code, stderr.strip()[-500:])
        if self._closed:
            raise WorkerCrashed(500, "the query service was closed while the query ran")
        if sig == signal.SIGXCPU:
            raise QueryTimeout(503, f"the query did not finish within the {self.timeout:g} s time limit")
        if sig == signal.SIGKILL or "memory allocation of" in stderr:
            raise QueryResourceLimit(503, f"the query exceeded the {self.memory_limit_mb} MB memory limit")
        what = signal.Signals(sig).name if sig else f"exit status {code}"
        raise WorkerCrashed(500, f"the query crashed its worker process ({what}); the service keeps running")
