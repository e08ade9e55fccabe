"""A small, polite client for Wikidata's search API and SPARQL query service.

It follows the Wikimedia User-Agent policy and the query service's usage
policy: a descriptive ``User-Agent`` with a contact, one request at a time,
a minimum interval between requests, ``maxlag`` on API calls, and retries
with back-off that honour ``Retry-After`` on 429 and 5xx answers. Only the
two URLs are configurable, so the same code runs against Wikidata and
against a local stand-in (an Oxigraph server with Wikidata-shaped data and
a small search app) in the tests.

>>> c = WikidataClient(WikidataConfig(min_interval=0))
>>> c.config.sparql_url
'https://query.wikidata.org/sparql'
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ruhrkg.graph.query import rows, values

WD = "http://www.wikidata.org/entity/"
WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
WIKIDATA_API = "https://www.wikidata.org/w/api.php"
CONTACT = "https://w3id.org/ruhrkg"
RETRY_STATUS = {429, 500, 502, 503, 504}
_QID = re.compile(r"Q[1-9][0-9]*")


class WikidataError(Exception):
    """Wikidata (or the stand-in) could not be reached or gave an answer we cannot use."""


@dataclass(frozen=True)
class WikidataConfig:
    sparql_url: str = WIKIDATA_SPARQL
    api_url: str = WIKIDATA_API
    user_agent: str = ""  # default: ruhrkg/<version> (<contact>)
    min_interval: float = 1.0  # seconds between two requests
    retries: int = 4
    timeout: float = 60.0
    languages: tuple[str, ...] = ("de", "en")


@dataclass
class Facts:
    """What the reconciliation needs to know of one item."""

    qid: str
    labels: dict[str, str] = field(default_factory=dict)  # language -> label
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    classes: set[str] = field(default_factory=set)  # target classes the item is an instance of (P31/P279*)
    claims: dict[str, set[str]] = field(default_factory=dict)  # property (P17, P131, ...) -> Q-IDs
    jurisdictions_of_positions: set[str] = field(default_factory=set)  # P39 -> P1001

    def names(self) -> list[str]:
        return [*self.labels.values(), *self.aliases]


class WikidataClient:
    def __init__(
        self,
        config: WikidataConfig | None = None,
        *,
        report: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or WikidataConfig()
        self._report = report or (lambda _m: None)
        self._sleep = sleep
        self._last = 0.0
        self.requests = 0
        self.retried = 0

    @property
    def user_agent(self) -> str:
        if self.config.user_agent:
            return self.config.user_agent
        from ruhrkg.graph.build import package_version

        return f"ruhrkg/{package_version()} ({CONTACT}; entity reconciliation) Python-urllib"

    # -- the two services -------------------------------------------------
    def search(self, text: str, language: str = "de", limit: int = 10) -> list[dict]:
        """``wbsearchentities``: items whose label or alias matches ``text``, best first."""
        params = {
            "action": "wbsearchentities",
            "search": text,
            "language": language,
            "uselang": language,
            "type": "item",
            "limit": str(limit),
            "format": "json",
            "maxlag": "5",
        }
        answer = self._get_json(self.config.api_url + "?" + urllib.parse.urlencode(params), "application/json")
        if "error" in answer:
            raise WikidataError(f"the search API answered with an error: {answer['error']}")
        hits = answer.get("search")
        if not isinstance(hits, list):
            raise WikidataError("the search API answer has no 'search' list")
        return [h for h in hits if isinstance(h, dict) and _QID.fullmatch(str(h.get("id", "")))]

    def select(self, query: str) -> list[dict[str, str]]:
        """Run a SELECT query; each row maps variable names to plain values."""
        url = self.config.sparql_url + "?" + urllib.parse.urlencode({"query": query})
        body = self._get(url, "application/sparql-results+json")
        try:
            return values(rows(body))
        except (SyntaxError, ValueError):
            raise WikidataError("the SPARQL endpoint's answer is not SPARQL JSON results") from None

    def facts(self, qids: Iterable[str], classes: Iterable[str], properties: Iterable[str]) -> dict[str, Facts]:
        """Labels, aliases, descriptions, which of ``classes`` each item belongs to (via P31/P279*),
        and the values of ``properties`` (e.g. P17, P131), for a batch of items."""
        qids = sorted({q for q in qids if _QID.fullmatch(q)}, key=lambda q: int(q[1:]))
        out = {q: Facts(q) for q in qids}
        if not qids:
            return out
        items = " ".join(f"wd:{q}" for q in qids)
        langs = ", ".join(f'"{lang}"' for lang in self.config.languages)
        prologue = (
            "PREFIX wd: <http://www.wikidata.org/entity/>\nPREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nPREFIX schema: <http://schema.org/>\n"
        )
        for row in self.select(
            prologue + f"SELECT ?item ?kind ?text (LANG(?text) AS ?lang) WHERE {{ VALUES ?item {{ {items} }}\n"
            '  { ?item rdfs:label ?text BIND("label" AS ?kind) } UNION { ?item skos:altLabel ?text BIND("alias" AS ?kind) }'
            ' UNION { ?item schema:description ?text BIND("description" AS ?kind) }\n'
            f"  FILTER(LANG(?text) IN ({langs})) }}"
        ):
            f = out.get(_qid(row.get("item", "")))
            if f is None:
                continue
            text = row.get("text", "")
            if row.get("kind") == "label":
                f.labels.setdefault(row.get("lang", ""), text)
            elif row.get("kind") == "alias":
                f.aliases.append(text)
            elif not f.description or row.get("lang") == self.config.languages[0]:
                f.description = text
        wanted = " ".join(f"wd:{c}" for c in sorted(set(classes)))
        if wanted:
            for row in self.select(
                prologue
                + f"SELECT DISTINCT ?item ?class WHERE {{ VALUES ?item {{ {items} }} VALUES ?class {{ {wanted} }}"
                " ?item wdt:P31/wdt:P279* ?class }"
            ):
                f = out.get(_qid(row.get("item", "")))
                if f is not None:
                    f.classes.add(_qid(row.get("class", "")))
        props = " ".join(f"wdt:{p}" for p in sorted(set(properties)))
        if props:
            for row in self.select(
                prologue + f"SELECT ?item ?p ?v WHERE {{ VALUES ?item {{ {items} }} VALUES ?p {{ {props} }}"
                " ?item ?p ?v FILTER(isIRI(?v)) }"
            ):
                f = out.get(_qid(row.get("item", "")))
                if f is not None:
                    f.claims.setdefault(row["p"].rsplit("/", 1)[-1], set()).add(_qid(row.get("v", "")))
            for row in self.select(
                prologue
                + f"SELECT ?item ?j WHERE {{ VALUES ?item {{ {items} }} ?item wdt:P39 ?pos . ?pos wdt:P1001 ?j }}"
            ):
                f = out.get(_qid(row.get("item", "")))
                if f is not None:
                    f.jurisdictions_of_positions.add(_qid(row.get("j", "")))
        return out

    # -- HTTP -------------------------------------------------------------
    def _get_json(self, url: str, accept: str) -> dict:
        try:
            return json.loads(self._get(url, accept))
        except ValueError:
            raise WikidataError(f"{_host(url)} answered with something that is not JSON") from None

    def _get(self, url: str, accept: str) -> bytes:
        """The body of a GET, politely spaced and retried on the statuses of :data:`RETRY_STATUS`."""
        attempt = 0
        while True:
            wait = self.config.min_interval - (time.monotonic() - self._last)
            if wait > 0:
                self._sleep(wait)
            self._last = time.monotonic()
            self.requests += 1
            req = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": accept})
            try:
                with urllib.request.urlopen(req, timeout=self.config.timeout) as resp:
                    return resp.read()
            except urllib.error.HTTPError as e:
                e.close()
                if e.code not in RETRY_STATUS or attempt >= self.config.retries:
                    raise WikidataError(f"{_host(url)} answered HTTP {e.code} {e.reason}") from None
                delay = _retry_after(e.headers.get("Retry-After"), attempt)
                problem = f"HTTP {e.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                if attempt >= self.config.retries:
                    reason = getattr(e, "reason", e)
                    raise WikidataError(f"cannot reach {_host(url)}: {reason}") from None
                delay = _retry_after(None, attempt)
                problem = str(getattr(e, "reason", e))
            attempt += 1
            self.retried += 1
            self._report(f"{_host(url)}: {problem}; retry {attempt} of {self.config.retries} in {delay:.1f} s")
            self._sleep(delay)


def _retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait: the server's ``Retry-After`` (capped at 120 s) or 1, 2, 4, 8 … s."""
    if header and header.strip().isdigit():
        return min(float(header.strip()), 120.0)
    return min(2.0**attempt, 60.0)


def _qid(iri: str) -> str:
    return iri[len(WD) :] if iri.startswith(WD) else ""


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
