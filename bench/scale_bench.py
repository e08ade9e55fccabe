"""How the pipeline scales: synthetic corpora at N times the real document, stage by stage.

    python bench/scale_bench.py                      # scales 1, 10, 100
    python bench/scale_bench.py --scales 1,10,100,1000 --owlrl-timeout 300

For every scale, one fresh process generates the corpus (bench/synth.py), parses it,
maps it, validates it with SHACL (up to --validate-max-triples; "skipped" above),
loads data + ontology into an in-memory Oxigraph store and runs the SPARQL-rule
reasoner (ruhrkg.graph.rules) in each strategy, each on a fresh store. Then another
fresh process makes the same data graph and runs owlrl (ruhrkg.graph.reason, as
``ruhrkg build`` does today); only its reasoning is timed, and it is killed after
--owlrl-timeout seconds. The table gives wall times, triple counts and peak RSS of
each process (the first process holds the rdflib graph and the store).

Nothing runs in parallel: the machine may be shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _synth():
    spec = importlib.util.spec_from_file_location("ruhrkg_bench_synth", HERE / "synth.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _data_graph(scale: int, seed: int, timings: dict) -> tuple:
    from ruhrkg.mappings.mapper import to_graph
    from ruhrkg.mappings.parser import parse_text

    t = time.perf_counter()
    corpus = _synth().generate(scale, seed)
    gz = corpus.gazetteer_with_extension()
    timings["generate"] = time.perf_counter() - t
    t = time.perf_counter()
    doc = parse_text(corpus.text, gazetteer=gz)
    timings["parse"] = time.perf_counter() - t
    t = time.perf_counter()
    data = to_graph(doc, gazetteer=gz)
    timings["map"] = time.perf_counter() - t
    return doc, data


# -- workers (run in their own processes) ------------------------------------------------------------
def pipeline_worker(scale: int, seed: int, validate_max: int, strategies: list[str]) -> dict:
    import pyoxigraph as ox

    from ruhrkg.graph import rules, terms, validate
    from ruhrkg.graph.build import ontology_graph, shapes_graph
    from ruhrkg.mappings.vocab import GRAPHS

    out: dict = {"timings": {}}
    timings = out["timings"]
    doc, data = _data_graph(scale, seed, timings)
    out["forums"], out["events"] = len(doc.forums), sum(len(f.events) for f in doc.forums)
    out["warnings"], out["data_triples"] = len(doc.warnings), len(data)
    del doc
    if len(data) <= validate_max:
        t = time.perf_counter()
        report = validate.validate(data, shapes_graph())
        timings["validate"] = time.perf_counter() - t
        out["conforms"], out["violations"] = report.conforms, len(report.violations)
    ontology = ontology_graph()
    out["rules"] = {}
    for strategy in strategies:
        t = time.perf_counter()
        store = ox.Store()
        store.bulk_extend(terms.quads(data, GRAPHS["data"]))
        store.bulk_extend(terms.quads(ontology, GRAPHS["ontology"]))
        timings["load"] = time.perf_counter() - t
        stats = rules.Stats()
        t = time.perf_counter()
        n = rules.inferred_quads(
            store, GRAPHS["data"], GRAPHS["ontology"], GRAPHS["inferred"], strategy=strategy, stats=stats
        )
        out["rules"][strategy] = {"seconds": time.perf_counter() - t, "inferred": n, "rounds": len(stats.rounds)}
        del store
    out["peak_mib"] = _peak_mib()
    return out


def owlrl_worker(scale: int, seed: int) -> dict:
    from ruhrkg.graph import reason
    from ruhrkg.graph.build import ontology_graph

    _, data = _data_graph(scale, seed, {})
    ontology = ontology_graph()
    print("ready", flush=True)  # the parent starts the clock for --owlrl-timeout here
    t = time.perf_counter()
    inferred = reason.inferred_triples(data, ontology)
    return {"seconds": time.perf_counter() - t, "inferred": len(inferred), "peak_mib": _peak_mib()}


# -- the parent --------------------------------------------------------------------------------------
def run_worker(args: list[str], timeout: float | None = None) -> dict:
    """Run a worker in a fresh process; the result is the JSON on its last line of output."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        if timeout is not None:
            proc.stdout.readline()  # "ready": set-up done
            proc.wait(timeout=timeout)
        out, _ = proc.communicate()
    except subprocess.TimeoutExpired:
        peak = _vm_hwm_mib(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return {"timeout": True, "peak_mib": peak}
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def fmt_s(x: float | None) -> str:
    if x is None:
        return "skipped"
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated scales N (default 1,10,100)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic corpora (default 1)")
    parser.add_argument(
        "--owlrl-timeout", type=float, default=120, help="seconds before owlrl's reasoning is killed (default 120)"
    )
    parser.add_argument("--no-owlrl", action="store_true", help="do not run owlrl at all")
    parser.add_argument(
        "--strategies", default="compiled,generic", help="rule strategies to time (default compiled,generic)"
    )
    parser.add_argument(
        "--validate-max-triples",
        type=int,
        default=100_000,
        help="validate with SHACL only data graphs up to this size (default 100000)",
    )
    parser.add_argument("--worker", choices=["pipeline", "owlrl"], help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    strategies = [s for s in args.strategies.split(",") if s]

    if args.worker == "pipeline":
        print(json.dumps(pipeline_worker(args.scale, args.seed, args.validate_max_triples, strategies)))
        return
    if args.worker == "owlrl":
        print(json.dumps(owlrl_worker(args.scale, args.seed)))
        return

    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        common = ["--scale", str(scale), "--seed", str(args.seed)]
        print(f"scale {scale}: pipeline and rules ...", file=sys.stderr, flush=True)
        p = run_worker(["--worker", "pipeline", *common, "--validate-max-triples", str(args.validate_max_triples),
                        "--strategies", ",".join(strategies)])  # fmt: skip
        o = None
        if not args.no_owlrl:
            print(f"scale {scale}: owlrl (timeout {args.owlrl_timeout:.0f} s) ...", file=sys.stderr, flush=True)
            o = run_worker(["--worker", "owlrl", *common], timeout=args.owlrl_timeout)
        rows.append((scale, p, o))
        counts = {r["inferred"] for r in p["rules"].values()} | ({o["inferred"]} if o and "inferred" in o else set())
        if len(counts) > 1:
            print(f"warning: scale {scale}: the reasoners disagree on the number of inferred triples: {counts}")

    print(f"# Scaling the pipeline (synthetic corpora, seed {args.seed}, {os.cpu_count()} cores)\n")
    head = ["scale", "forums", "events", "data triples", "generate", "parse", "map", "SHACL validate"]
    head += ["load (Oxigraph)"] + [f"rules ({s})" for s in strategies] + ["owlrl", "inferred triples"]
    head += ["peak RSS pipeline", "peak RSS owlrl"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * 3 + "---:|" * (len(head) - 3))
    for scale, p, o in rows:
        t = p["timings"]
        validate = fmt_s(t.get("validate"))
        if "validate" in t and not p["conforms"]:
            validate += f" ({p['violations']} violations)"
        cells = [f"×{scale}", str(p["forums"]), str(p["events"]), f"{p['data_triples']:,}"]
        cells += [fmt_s(t["generate"]), fmt_s(t["parse"]), fmt_s(t["map"]), validate, fmt_s(t.get("load"))]
        cells += [fmt_s(p["rules"][s]["seconds"]) for s in strategies]
        if o is None:
            cells.append("not run")
        elif o.get("timeout"):
            cells.append(f"> {args.owlrl_timeout:.0f} s (killed)")
        else:
            cells.append(fmt_s(o["seconds"]))
        inferred = {r["inferred"] for r in p["rules"].values()}
        same = " (= owlrl)" if o and o.get("inferred") in inferred and len(inferred) == 1 else ""
        cells.append(", ".join(f"{n:,}" for n in sorted(inferred)) + same if inferred else "")
        cells.append(f"{p['peak_mib']:.0f} MiB")
        cells.append(f"{o['peak_mib']:.0f} MiB" if o and o.get("peak_mib") else "")
        print("| " + " | ".join(cells) + " |")
    print(
        "\nparse warnings: "
        + ", ".join(f"×{s}: {p['warnings']}" for s, p, _ in rows)
        + ". SHACL: rk:number has sh:maxInclusive 99, so corpora with more than 99 forums do not conform."
    )


if __name__ == "__main__":
    main()
