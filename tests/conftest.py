"""Shared fixtures: small and named, built once per session where they are expensive.

The tests that talk to a store run in both engine modes through :func:`engine_mode`: ``embedded`` (the query
workers on the local build) and ``remote`` (an Oxigraph server holding the same build, published the way
``ruhrkg build --store`` does, see :func:`publish_to`).
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from ruhrkg.graph import build as building
from ruhrkg.graph import remote
from ruhrkg.graph import store as stores
from ruhrkg.mappings.parser import parse_text
from ruhrkg.server.app import create_app
from ruhrkg.server.config import Settings


@pytest.fixture(scope="session")
def source_text() -> str:
    """The packaged source document."""
    return building.packaged_source()


@pytest.fixture(scope="session")
def doc(source_text):
    """The parsed source document."""
    return parse_text(source_text)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A data directory with one finished build of the real document."""
    path = tmp_path_factory.mktemp("ruhrkg-data")
    building.build(data_dir=path)
    return path


@pytest.fixture(scope="session")
def built(data_dir) -> stores.Build:
    return stores.current(data_dir)


@pytest.fixture(scope="session")
def store(built):
    """The built store, opened read-only."""
    return built.open_store()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# -- a real server and a real browser ---------------------------------------------------------
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """A factory: ``start_server(data_dir, *args, env=...)`` runs `ruhrkg serve` on a free loopback port
    and returns its base URL; every server is stopped (SIGTERM, then checked) at the end of the session."""
    running = []

    def start(data_dir, *args: str, env: dict | None = None) -> str:
        port = _free_port()
        log = tmp_path_factory.mktemp("serve") / "serve.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", "from ruhrkg.server.cli import main; main()", "serve", "--data-dir",
                 str(data_dir), "--host", "127.0.0.1", "--port", str(port), *args],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
            )  # fmt: skip
        running.append((proc, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/sparql?query=ASK%7B%7D", timeout=2).read()
                return base
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"ruhrkg serve did not start: {log.read_text()}")
                time.sleep(0.2)

    yield start
    for proc, log in running:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("ruhrkg serve did not stop on SIGTERM")
        assert "Traceback" not in log.read_text(), log.read_text()[-2000:]


@pytest.fixture(scope="session")
def live_server(data_dir, start_server):
    """`ruhrkg serve` on a free loopback port, for browser tests; yields the base URL."""
    return start_server(data_dir, "--http-workers", "1", "--query-workers", "2")


def _chromium() -> str:
    """Debian's chromium; installed with apt-get if missing (CI runs as root)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True)
        if done.returncode != 0 or not os.path.exists(path):
            pytest.fail(f"cannot install Debian's chromium: {done.stderr.decode()[-500:]}")
    return path


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; a screenshot of it is saved to test-artifacts/ after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


# -- Oxigraph servers as remote stores ------------------------------------------------------------


def oxigraph_binary() -> str:
    """The Oxigraph server CLI (pip package ``oxigraph``, in the test extra)."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not os.path.exists(binary):
        pytest.fail("the oxigraph server (pip package 'oxigraph', in the test extra) is not installed")
    return binary


def _limit_memory() -> None:
    """A safety net for test servers: a query that runs away in the store cannot take the machine's memory."""
    import resource

    limit = 6 * 1024**3
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


class OxigraphServer:
    """``oxigraph serve`` (read-write) on a free loopback port, over a database directory; stop and start again."""

    def __init__(self, location: Path, *, timeout_s: float | None = None):
        self.location, self.timeout_s = location, timeout_s
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = location.parent / f"{location.name}.log"

    @property
    def spec(self) -> remote.StoreSpec:
        return remote.StoreSpec.parse(self.url, env={})

    def start(self) -> OxigraphServer:
        args = [oxigraph_binary(), "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"]
        if self.timeout_s:
            args += ["--timeout-s", str(self.timeout_s)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_limit_memory)
        _wait_for(self.url + "/query?query=ASK%7B%7D", self.proc, self.log, "the Oxigraph server")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A factory: ``oxigraph_server()`` starts a fresh, empty Oxigraph server; all are stopped at the end."""
    started: list[OxigraphServer] = []

    def start(**kwargs) -> OxigraphServer:
        server = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "db", **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def publish_to(oxigraph_server):
    """A factory: ``publish_to(data_dir)`` is an Oxigraph server holding the current build of ``data_dir``,
    published as ``ruhrkg build --store`` does (one server per data directory, published again after a rebuild)."""
    servers: dict[Path, OxigraphServer] = {}
    published: dict[Path, Path] = {}

    def publish(data_dir) -> OxigraphServer:
        root = stores.data_dir(data_dir)
        if root not in servers:
            servers[root] = oxigraph_server(timeout_s=30)
        build = stores.current(root)
        if published.get(root) != build.path:
            remote.publish(servers[root].spec, build.open_store(), build.path.name)
            published[root] = build.path
        return servers[root]

    return publish


@pytest.fixture(scope="session", params=["embedded", "remote"])
def engine_mode(request) -> str:
    """Where queries run: ``embedded`` (the query workers on the local build) or ``remote`` (an Oxigraph server
    holding the same build)."""
    return request.param


@pytest.fixture(scope="session")
def app_in_mode(publish_to):
    """A factory of apps: ``with app_in_mode(data_dir, mode, **settings) as app`` answers from the embedded
    engine on ``data_dir``, or (``remote``) from the Oxigraph server that :func:`publish_to` keeps for it."""

    @contextlib.contextmanager
    def open_app(data_dir, mode: str, **settings):
        if mode == "remote":
            settings["store"] = publish_to(data_dir).url
        app = create_app(Settings(data_dir=str(data_dir), access_log=False, **settings))
        try:
            yield app
        finally:
            app.extensions["ruhrkg"].close()

    return open_app


@pytest.fixture(scope="module")
def engine_app(data_dir, engine_mode, app_in_mode):
    """The app on the session's build, in each :func:`engine_mode`."""
    with app_in_mode(data_dir, engine_mode, query_timeout=5.0) as app:
        yield app


@pytest.fixture(scope="session")
def published_store(data_dir, publish_to) -> OxigraphServer:
    """The Oxigraph server holding the session's build."""
    return publish_to(data_dir)


# -- a loopback listener -------------------------------------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts and closes them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        self.accepted = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="session")
def new_listener():
    """A factory: ``new_listener()`` is a :class:`Listener`; all are closed at the end of the session."""
    made: list[Listener] = []

    def make() -> Listener:
        made.append(Listener())
        return made[-1]

    yield make
    for lis in made:
        lis.close()


class FixedAnswer:
    """A loopback HTTP server answering every GET and POST with ``body`` as SPARQL JSON results; ``requests``
    lists the methods it was asked with."""

    def __init__(self, body: bytes):
        answer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                answer.requests.append(self.command)
                if self.command == "POST":
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.body, self.requests = body, []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def fixed_answer():
    """A factory: ``fixed_answer(body)`` is a :class:`FixedAnswer`, closed after the test."""
    made: list[FixedAnswer] = []

    def make(body: bytes) -> FixedAnswer:
        made.append(FixedAnswer(body))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def listener():
    """A :class:`Listener` for one test."""
    lis = Listener()
    yield lis
    lis.close()


# -- a local stand-in for Wikidata ---------------------------------------------------------------
STANDIN = Path(__file__).parent / "wikidata_standin"


def _wait_for(url: str, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{what} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)


@pytest.fixture(scope="session")
def wikidata_standin(tmp_path_factory):
    """A Wikidata stand-in from real parts: an Oxigraph server (pip package ``oxigraph``) loaded with
    ``wikidata_standin/standin.ttl``, and the search-API app answering from it over HTTP.

    Yields ``{"sparql_url": ..., "api_url": ...}``; set ``STANDIN_FAIL_FIRST`` before first use to make
    the search app fail its first requests."""
    binary = oxigraph_binary()
    root = tmp_path_factory.mktemp("wikidata-standin")
    subprocess.run([binary, "load", "--location", str(root / "db"), "--file", str(STANDIN / "standin.ttl")],
                   check=True, capture_output=True)  # fmt: skip
    procs = []
    port = _free_port()
    log = root / "oxigraph.log"
    with open(log, "wb") as out:
        procs.append(subprocess.Popen([binary, "serve-read-only", "--location", str(root / "db"), "--bind",
                                       f"127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
    sparql = f"http://127.0.0.1:{port}/query"
    _wait_for(sparql + "?query=ASK%7B%7D", procs[0], log, "the Oxigraph stand-in")
    api_port = _free_port()
    api_log = root / "search.log"
    with open(api_log, "wb") as out:
        procs.append(subprocess.Popen([sys.executable, str(STANDIN / "search_app.py"), "--sparql", sparql, "--port",
                                       str(api_port)], stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
    api = f"http://127.0.0.1:{api_port}/w/api.php"
    _wait_for(api, procs[1], api_log, "the search-API stand-in")
    yield {"sparql_url": sparql, "api_url": api, "root": root}
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.fixture(scope="session")
def standin_links(tmp_path_factory) -> Path:
    """The shipped link table plus links to the stand-in's invented items (tests/wikidata_standin/links.csv)."""
    from ruhrkg.mappings import links

    path = tmp_path_factory.mktemp("links") / "wikidata-links.csv"
    links.save(links.load() + links.load(STANDIN / "links.csv"), path)
    return path


@pytest.fixture(scope="session")
def standin_data_dir(tmp_path_factory, standin_links):
    """A data directory built with :func:`standin_links`, for federated queries against the stand-in."""
    path = tmp_path_factory.mktemp("ruhrkg-data-standin")
    building.build(data_dir=path, links=standin_links)
    return path


# -- the app, in process ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def make_app(data_dir):
    """A factory: ``make_app(**settings)`` creates an app on the session's build (no access log unless asked);
    every app's query workers are stopped at the end of the session."""
    from ruhrkg.server.app import create_app

    apps = []

    def make(**overrides):
        settings = {"data_dir": str(data_dir), "query_workers": 2, "access_log": False, "query_timeout": 5.0}
        app = create_app({**settings, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["ruhrkg"].close()


@pytest.fixture(scope="session")
def app(make_app):
    """The app on the session's build, shared by the tests that need no settings of their own."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
