"""SHACL validation time: pyshacl (ruhrkg.graph.validate) against SPARQL on Oxigraph (ruhrkg.graph.shacl_sparql).

    python bench/shacl_bench.py                                  # scales 1, 10, 100; pyshacl at 1 and 10
    python bench/shacl_bench.py --scales 1000 --pyshacl-scales "" --slowest 10

For every scale, one fresh process generates a synthetic corpus (bench/synth.py), parses and maps it,
loads the data graph into an in-memory Oxigraph store (timed apart, not part of validation), then
times ``shacl_sparql.validate_store`` on the store and, at --pyshacl-scales, ``validate.validate``
(pyshacl) on the rdflib graph; both reports must agree. Runs one after the other: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(scale: int, seed: int, pyshacl: bool, runs: int, slowest: int) -> dict:
    import pyoxigraph as ox

    sys.path.insert(0, str(HERE))
    import synth

    from ruhrkg.graph import shacl_sparql, terms, validate
    from ruhrkg.graph.build import shapes_graph
    from ruhrkg.mappings.mapper import to_graph
    from ruhrkg.mappings.parser import parse_text

    out: dict = {"scale": scale}
    corpus = synth.generate(scale, seed)
    gz = corpus.gazetteer_with_extension()
    data = to_graph(parse_text(corpus.text, gazetteer=gz), gazetteer=gz)
    out["triples"] = len(data)
    shapes = shapes_graph()
    graph = "urn:ruhrkg:bench:data"

    t = time.perf_counter()
    store = ox.Store()
    store.bulk_extend(terms.quads(data, graph))
    out["load"] = time.perf_counter() - t

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        ours = shacl_sparql.validate_store(store, graph, shapes)
        times.append(time.perf_counter() - t)
    out["sparql"], out["sparql_runs"] = statistics.median(times), times
    out["violations"] = len(ours.violations)

    if slowest:
        per_check = []
        for check in shacl_sparql.compile_shapes(shapes):
            t = time.perf_counter()
            n = sum(1 for _ in shacl_sparql.results(store, graph, [check]))
            per_check.append((time.perf_counter() - t, check.shape, check.component, n))
        per_check.sort(reverse=True)
        out["slowest"] = per_check[:slowest]
        out["checks"], out["checks_total"] = len(per_check), sum(p[0] for p in per_check)

    if pyshacl:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            ref = validate.validate(data, shapes)
            times.append(time.perf_counter() - t)
        out["pyshacl"], out["pyshacl_runs"] = statistics.median(times), times
        out["same"] = ref == ours
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--pyshacl-scales", default="1,10", help="scales at which pyshacl runs too ('' for none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per validator (median reported)")
    ap.add_argument("--slowest", type=int, default=0, help="also time every check alone and list the N slowest")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--with-pyshacl", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.seed, args.with_pyshacl, args.runs, args.slowest)))
        return

    with_pyshacl = {int(s) for s in args.pyshacl_scales.split(",") if s.strip()}
    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        cmd = [sys.executable, __file__, "--worker", str(scale), "--seed", str(args.seed), "--runs", str(args.runs)]
        cmd += ["--slowest", str(args.slowest)] + (["--with-pyshacl"] if scale in with_pyshacl else [])
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        rows.append(r)
        print(f"x{scale}: {json.dumps(r)}", file=sys.stderr)

    print(
        "| scale | data triples | load (Oxigraph, not timed below) | pyshacl | SPARQL on Oxigraph | speed-up | same report | peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        py = f"{r['pyshacl']:.2f} s" if "pyshacl" in r else "—"
        up = f"{r['pyshacl'] / r['sparql']:.0f}×" if "pyshacl" in r else "—"
        same = {True: "yes", False: "NO"}.get(r.get("same"), "—")
        print(
            f"| ×{r['scale']} | {r['triples']:,} | {r['load']:.2f} s | {py} | {r['sparql']:.2f} s "
            f"({r['violations']} violations) | {up} | {same} | {r['peak_mib']:.0f} MiB |"
        )
    for r in rows:
        if "slowest" in r:
            print(f"\n×{r['scale']}: {r['checks']} checks, {r['checks_total']:.2f} s one by one; slowest:")
            for seconds, shape, component, n in r["slowest"]:
                print(f"  {seconds:.3f} s  {shape}  {component}  ({n} results)")


if __name__ == "__main__":
    main()
