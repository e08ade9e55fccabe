"""Shared fixtures: small and named, built once per session where they are expensive.

``RUHRKG_TEST_STORE=oxigraph`` runs the suite in remote mode: every build also publishes into an Oxigraph
server (one per data directory, started here on a free loopback port), and every app and server the tests
create answers queries from that server (:class:`ruhrkg.server.remote.RemoteQueryService`) instead of the
local query workers. Tests of the local workers' internals are skipped then (``local_only``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
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
from ruhrkg.server.config import Settings

TEST_STORE = os.environ.get("RUHRKG_TEST_STORE", "")
if TEST_STORE not in ("", "oxigraph"):
    raise pytest.UsageError(f"RUHRKG_TEST_STORE={TEST_STORE!r}: the only remote store the tests can run is 'oxigraph'")
REMOTE_MODE = TEST_STORE == "oxigraph"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "local_only: needs the local query workers (skipped in remote mode, RUHRKG_TEST_STORE=oxigraph)"
    )


def pytest_collection_modifyitems(config, items):
    if not REMOTE_MODE:
        return
    for item in items:
        mark = item.get_closest_marker("local_only")
        if mark is not None:
            reason = mark.kwargs.get("reason") or "needs the local query workers, which remote mode does not use"
            item.add_marker(pytest.mark.skip(reason=f"remote mode: {reason}"))


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


@pytest.fixture(scope="module")
def app(data_dir):
    """The Flask app over the session's build, one per test module (a module with other needs defines its own)."""
    from ruhrkg.server.app import create_app

    app = create_app({"data_dir": str(data_dir), "access_log": False})
    yield app
    app.extensions["ruhrkg"].close()


@pytest.fixture
def client(app):
    """A client without cookies from earlier tests (the language choice is a cookie)."""
    return app.test_client()


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
        if REMOTE_MODE and "--store" not in args:
            args = (*args, "--store", remote_url_for(data_dir))
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
    return start_server(data_dir, "--workers", "1", "--query-workers", "2")


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


# Remote mode: one Oxigraph server per data directory, so that tests that build other documents into their
# own data directories never change what another test's app answers from.
_REMOTE: dict[Path, OxigraphServer] = {}
_PUBLISHED: dict[Path, Path] = {}  # data directory -> the build last published into its server
_REMOTE_ROOT: list[Path] = []


def remote_store_for(data_dir) -> OxigraphServer:
    """The Oxigraph server of a data directory (started on first use)."""
    root = stores.data_dir(data_dir)
    if root not in _REMOTE:
        if not _REMOTE_ROOT:
            import tempfile

            _REMOTE_ROOT.append(Path(tempfile.mkdtemp(prefix="ruhrkg-remote-stores-")))
        location = _REMOTE_ROOT[0] / f"store-{len(_REMOTE)}" / "db"
        location.parent.mkdir()
        _REMOTE[root] = OxigraphServer(location, timeout_s=30).start()
    return _REMOTE[root]


def remote_url_for(data_dir) -> str:
    """The URL of a data directory's server, holding its current build (published now if it was built elsewhere,
    e.g. by a `ruhrkg build` subprocess)."""
    root = stores.data_dir(data_dir)
    server = remote_store_for(root)
    if stores.has_build(root):
        build = stores.current(root)
        if _PUBLISHED.get(root) != build.path:
            remote.publish(server.spec, build.open_store(), build.path.name)
            _PUBLISHED[root] = build.path
    return server.url


if REMOTE_MODE:
    _original_build = building.build
    _original_from_env = Settings.from_env.__func__

    def _build_and_publish(*args, data_dir=None, remote_store=None, **kwargs):
        if remote_store is not None:  # a test that publishes into a store of its own
            return _original_build(*args, data_dir=data_dir, remote_store=remote_store, **kwargs)
        result = _original_build(*args, data_dir=data_dir, remote_store=remote_store_for(data_dir).spec, **kwargs)
        _PUBLISHED[stores.data_dir(data_dir)] = result.build.path
        return result

    def _from_env(cls, env=None, **overrides):
        settings = _original_from_env(cls, env, **overrides)
        if not (settings.store or settings.store_query) and stores.has_build(settings.data_dir):
            settings = settings.replace(store=remote_url_for(settings.data_dir))
        return settings

    building.build = _build_and_publish
    Settings.from_env = classmethod(_from_env)


def pytest_sessionfinish(session, exitstatus):
    for server in _REMOTE.values():
        server.stop()
    for root in _REMOTE_ROOT:
        shutil.rmtree(root, ignore_errors=True)


def pytest_report_header(config):
    return f"ruhrkg query mode: {'remote (Oxigraph server per data directory)' if REMOTE_MODE else 'local workers'}"


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
