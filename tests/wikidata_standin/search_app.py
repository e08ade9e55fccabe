"""A stand-in for Wikidata's search API (``wbsearchentities``), answering from a SPARQL endpoint.

Run: ``python search_app.py --sparql http://127.0.0.1:7878/query --port 8765``.
It reads every label, alias and description from the endpoint (an Oxigraph
server loaded with ``standin.ttl``) and answers ``/w/api.php`` in the JSON
shape of Wikidata's API: every word of the search must start a word of a
label or alias (case- and accent-insensitive), labels before aliases.
``?fail=N`` in the environment variable STANDIN_FAIL_FIRST makes the first N
requests answer 503 with ``Retry-After: 0``, to exercise the client's retries.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import unicodedata
import urllib.parse
import urllib.request

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
SELECT ?item ?kind ?text (LANG(?text) AS ?lang) WHERE {
  { ?item rdfs:label ?text BIND("label" AS ?kind) } UNION { ?item skos:altLabel ?text BIND("alias" AS ?kind) }
  UNION { ?item schema:description ?text BIND("description" AS ?kind) }
}"""


def fold(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c if c.isalnum() else " " for c in text if not unicodedata.combining(c)).split()


def load(sparql: str) -> dict[str, dict]:
    url = sparql + "?" + urllib.parse.urlencode({"query": QUERY})
    req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        rows = json.load(resp)["results"]["bindings"]
    items: dict[str, dict] = {}
    for r in rows:
        qid = r["item"]["value"].rsplit("/", 1)[-1]
        it = items.setdefault(qid, {"labels": {}, "aliases": {}, "descriptions": {}})
        lang, text = r["lang"]["value"], r["text"]["value"]
        {"label": it["labels"], "alias": it["aliases"], "description": it["descriptions"]}[
            r["kind"]["value"]
        ].setdefault(lang, []).append(text)
    return items


def matches(words: list[str], name: str) -> bool:
    tokens = fold(name)
    return bool(words) and all(any(t.startswith(w) for t in tokens) for w in words)


def make_app(items: dict[str, dict], fail_first: int = 0):
    failures = {"left": fail_first}
    lock = threading.Lock()

    @Request.application
    def app(request: Request) -> Response:
        with lock:
            if failures["left"] > 0:
                failures["left"] -= 1
                return Response("busy", status=503, headers={"Retry-After": "0"})
        if request.path != "/w/api.php":
            return Response("not found", status=404)
        args = request.args
        if args.get("action") != "wbsearchentities" or not args.get("search") or not args.get("language"):
            body = {"error": {"code": "param-missing", "info": "action, search and language are required"}}
            return Response(json.dumps(body), mimetype="application/json")
        lang, words = args["language"], fold(args["search"])
        limit = min(int(args.get("limit", "7")), 50)
        found = []
        for qid, it in sorted(items.items(), key=lambda kv: int(kv[0][1:])):
            label = (it["labels"].get(lang) or it["labels"].get("en") or [None])[0]
            hit = None
            if label and matches(words, label):
                hit = {"type": "label", "language": lang, "text": label}
            else:
                for alias in it["aliases"].get(lang, []):
                    if matches(words, alias):
                        hit = {"type": "alias", "language": lang, "text": alias}
                        break
            if hit:
                desc = (it["descriptions"].get(lang) or [""])[0]
                found.append(
                    {
                        "id": qid,
                        "title": qid,
                        "concepturi": f"http://www.wikidata.org/entity/{qid}",
                        "label": label or hit["text"],
                        "description": desc,
                        "match": hit,
                        "aliases": it["aliases"].get(lang, []),
                    }
                )
        found.sort(key=lambda h: h["match"]["type"] != "label")
        body = {"searchinfo": {"search": args["search"]}, "search": found[:limit], "success": 1}
        return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparql", required=True, help="the stand-in's SPARQL endpoint")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    app = make_app(load(args.sparql), int(os.environ.get("STANDIN_FAIL_FIRST", "0")))
    run_simple("127.0.0.1", args.port, app, threaded=True)


if __name__ == "__main__":
    main()
