#!/usr/bin/env python3
"""How much a query costs through each kind of query worker: ours (pyoxigraph over pipes) and the peer it
replaced (an Oxigraph server on a loopback port, over a kept-alive HTTP connection with http.client).

For each query, one caller thread sends ``--queries`` unique requests one after the other (a nonce in each,
so nothing is cached) and the script reports, per request: the wall time, the CPU time of the calling process
and the CPU time of the worker process(es), read from /proc. The engine is the same (Oxigraph 0.5), on the
same data (the build's default dataset: data + ontology in the default graph); the difference is the
channel and the Python around the engine.

    python bench/worker_bench.py --data-dir ruhrkg-data --queries 3000
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

QUERIES = {
    "describe": ("DESCRIBE <https://w3id.org/ruhrkg/id/forum/04> <urn:x-nonce:{n}>", "ntriples"),
    "class-counts": ("SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class FILTER(?class != <urn:x-nonce:{n}>) } "
                     "GROUP BY ?class ORDER BY DESC(?n) ?class", "json"),  # fmt: skip
    "neighbourhood": ("CONSTRUCT { ?f ?p ?o . ?x ?q ?f } WHERE { BIND(<https://w3id.org/ruhrkg/id/forum/04> AS ?f) "
                      "{ ?f ?p ?o } UNION { ?x ?q ?f } FILTER(?o != <urn:x-nonce:{n}>) }", "ntriples"),  # fmt: skip
}
ACCEPT = {"json": "application/sparql-results+json", "ntriples": "application/n-triples"}


def cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(run, pids, n: int) -> tuple[float, float, float]:
    for i in range(50):
        run(f"warm{i}")
    w0, c0, s0 = time.perf_counter(), time.process_time(), cpu_seconds(pids)
    for i in range(n):
        run(str(i))
    per = 1e6 / n
    return ((time.perf_counter() - w0) * per, (time.process_time() - c0) * per, (cpu_seconds(pids) - s0) * per)


def pipes(store_path: str, query: str, fmt: str, n: int):
    from ruhrkg.server.query.service import local_service

    with local_service(store_path, workers=1) as svc:
        svc.execute("ASK {}")
        return measure(lambda nonce: b"".join(svc.execute(query.replace("{n}", nonce), result_format=fmt).chunks),
                       svc.engine.pids(), n)  # fmt: skip


def loopback(nquads: Path, query: str, fmt: str, n: int, oxigraph: str):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([oxigraph, "serve", "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(100):
            try:
                conn.request("POST", "/store?default", body=nquads.read_bytes(), headers={"Content-Type": "application/n-triples"})
                conn.getresponse().read()
                break
            except OSError:
                conn.close()
                time.sleep(0.1)

        def run(nonce: str) -> bytes:
            body = urllib.parse.urlencode({"query": query.replace("{n}", nonce)})
            conn.request("POST", "/query", body=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                               "Accept": ACCEPT[fmt]})  # fmt: skip
            resp = conn.getresponse()
            return resp.read()

        return measure(run, [proc.pid], n)
    finally:
        proc.terminate()
        proc.wait()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default="ruhrkg-data")
    ap.add_argument("--queries", type=int, default=3000, help="requests per query and channel (default: %(default)s)")
    ap.add_argument("--oxigraph", default=shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph"))
    args = ap.parse_args(argv)
    from ruhrkg.graph import store as stores
    from ruhrkg.graph.query import dataset_kwargs

    build = stores.current(args.data_dir)
    import tempfile

    import pyoxigraph as ox

    store = build.open_store()
    nt = Path(tempfile.mkdtemp()) / "default.nt"
    triples = [ox.Triple(q.subject, q.predicate, q.object) for g in dataset_kwargs("default")["default_graph"]
               for q in store.quads_for_pattern(None, None, None, g)]  # fmt: skip
    nt.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    print("| query | channel | wall us | caller CPU us | worker CPU us | CPU us in all |")
    print("|---|---|---:|---:|---:|---:|")
    for name, (query, fmt) in QUERIES.items():
        for channel, result in (("pipes (pyoxigraph worker)", pipes(str(build.store_path), query, fmt, args.queries)),
                                ("loopback HTTP (Oxigraph server)", loopback(nt, query, fmt, args.queries, args.oxigraph))):  # fmt: skip
            wall, caller, worker = result
            print(f"| {name} | {channel} | {wall:.0f} | {caller:.0f} | {worker:.0f} | {caller + worker:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
