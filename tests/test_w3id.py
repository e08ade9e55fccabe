"""The w3id.org redirect rules (w3id/.htaccess) reach routes of the server (issue 14).

Each ``RewriteRule`` is applied as Apache's mod_rewrite does within ``https://w3id.org/ruhrkg/`` (the pattern
matched against the path after ``ruhrkg/``, first matching rule with ``[L]`` wins, ``$1`` substituted, the query
string kept), and the target's path is requested from the app: it must answer (200, or a 303 to a page that does).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ruhrkg.server.app import create_app

HTACCESS = Path(__file__).parent.parent / "w3id" / ".htaccess"
HOST = "https://ruhrkg.example.org"
RULE = re.compile(r"^RewriteRule\s+(\S+)\s+(\S+)\s+\[([^\]]+)\]\s*$")


def rules() -> list[tuple[re.Pattern, str, str]]:
    out = []
    for line in HTACCESS.read_text(encoding="utf-8").splitlines():
        if line.startswith("RewriteRule"):
            m = RULE.match(line)
            assert m, f"not a rule this test understands: {line}"
            out.append((re.compile(m[1]), m[2], m[3]))
    return out


def rewrite(path: str) -> tuple[str, int]:
    """The target URL and status for ``https://w3id.org/ruhrkg/<path>``."""
    for pattern, target, flags in rules():
        m = pattern.match(path)
        if m:
            status = int(re.search(r"R=(\d+)", flags)[1])
            return re.sub(r"\$(\d)", lambda g, m=m: m[int(g[1])] or "", target), status
    raise AssertionError(f"no rule for {path!r}")


@pytest.fixture(scope="module")
def client(data_dir):
    app = create_app({"data_dir": str(data_dir), "access_log": False})
    yield app.test_client()
    app.extensions["ruhrkg"].close()


def test_every_rule_points_to_the_server_and_redirects():
    found = rules()
    assert len(found) >= 10
    for _pattern, target, flags in found:
        assert target.startswith(HOST + "/"), target
        assert "L" in flags.split(",") and re.search(r"R=30[1237]", flags), flags


@pytest.mark.parametrize(
    ("path", "accept", "expected"),
    [
        ("def", "text/html", "/def"),
        ("def", "text/turtle", "/def"),
        ("def/1.1.0", "text/turtle", "/def"),
        ("def/shapes", "text/turtle", "/def/shapes"),
        ("id/forum/14", "text/html", "/doc/forum/14"),
        ("id/forum/14", "text/turtle", "/doc/forum/14"),
        ("id/ministry/mwide", "application/ld+json", "/doc/ministry/mwide"),
        ("id/dataset/ruhrkg", "text/turtle", "/doc/dataset/ruhrkg"),
        ("id/change/nrw-2022-06-mwide", "text/turtle", "/doc/change/nrw-2022-06-mwide"),
        ("id/source/steckbriefe-themenforen-2019", "text/plain", "/doc/source/steckbriefe-themenforen-2019"),
        ("doc/person/ulrich-paetzel", "text/html", "/doc/person/ulrich-paetzel"),
        ("graph/links", "text/html", "/about"),
        ("downloads/ruhrkg.ttl", "*/*", "/downloads/ruhrkg.ttl"),
        ("sparql", "text/turtle", "/sparql"),
        ("void", "text/turtle", "/.well-known/void"),
        ("queries", "text/html", "/queries"),
        ("queries/forums", "text/html", "/queries/forums"),
        ("about", "text/html", "/about"),
        ("", "text/html", "/"),
    ],
)
def test_each_rule_reaches_a_route_that_answers(client, path, accept, expected):
    url, status = rewrite(path)
    assert status in (302, 303, 307)
    target = urlsplit(url)
    assert target.path == expected
    with client.get(target.path, headers={"Accept": accept}, follow_redirects=True) as resp:
        assert resp.status_code == 200, (path, url, resp.status_code)


def test_an_unknown_thing_is_not_found_at_the_server(client):
    url, _ = rewrite("id/forum/99")
    assert client.get(urlsplit(url).path, headers={"Accept": "text/html"}).status_code == 404
