"""Benchmark of `ruhrkg build` on the real document, beside named peers, in one run.

What it measures:
- wall time and peak memory of the whole `ruhrkg build` command (a fresh process each run,
  so interpreter start-up and imports count), median and max over --runs;
- the share of each stage, from the build manifest;
- peers on the same input, in the same run:
  * reasoning: a plain owlrl run over data + ontology (what `ruhrkg build` would cost without
    the optimisations in graph/reason.py), beside ruhrkg's reasoning stage;
  * loading: pyoxigraph's own bulk loader (`Store.bulk_load`) on the same N-Quads, beside
    ruhrkg's load stage, both into a fresh on-disk store.

Usage:  python bench/build_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_build(data_dir: Path) -> tuple[float, int, dict]:
    """One `ruhrkg build` in a fresh process: (wall seconds, peak RSS KiB, manifest)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from ruhrkg.server.cli import main; main()",
            "build",
            "-q",
            "--data-dir",
            str(data_dir),
        ],
        check=True,
    )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    manifest = json.loads((data_dir / "current" / "build.json").read_text())
    return wall, max(peak, before), manifest


def peers(data_dir: Path, runs: int) -> dict[str, list[float]]:
    import pyoxigraph as ox

    from ruhrkg.graph import reason
    from ruhrkg.graph.build import ontology_graph, packaged_source
    from ruhrkg.mappings.mapper import to_graph
    from ruhrkg.mappings.parser import parse_text

    data = to_graph(parse_text(packaged_source()))
    ontology = ontology_graph()
    out: dict[str, list[float]] = {"owlrl plain closure": [], "ruhrkg reasoning (same process)": [],
                                   "pyoxigraph bulk_load": []}  # fmt: skip
    nquads = (data_dir / "current" / "downloads" / "ruhrkg.nq").read_bytes()
    for _ in range(runs):
        t0 = time.perf_counter()
        reason.reference_inferred_triples(data, ontology)
        out["owlrl plain closure"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reason.inferred_triples(data, ontology)
        out["ruhrkg reasoning (same process)"].append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            st = ox.Store(tmp)
            st.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
            st.flush()
            out["pyoxigraph bulk_load"].append(time.perf_counter() - t0)
            del st
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        walls, peaks, stages = [], [], {}
        for _ in range(args.runs):
            wall, peak, manifest = run_build(data_dir)
            walls.append(wall)
            peaks.append(peak)
            for k, v in manifest["timings"].items():
                stages.setdefault(k, []).append(v)
        triples = manifest["triples"]
        total_quads = sum(triples.values())
        peer = peers(data_dir, args.runs)

    med = statistics.median
    print(f"# ruhrkg build on the real document ({args.runs} runs, {os.cpu_count()} cores, "
          f"{triples['data']} data + {triples['ontology']} ontology + {triples['inferred']} inferred triples)\n")  # fmt: skip
    print("| measure | median | max |")
    print("|---|---:|---:|")
    print(f"| `ruhrkg build` wall time (fresh process) | {med(walls):.2f} s | {max(walls):.2f} s |")
    print(f"| `ruhrkg build` peak RSS | {med(peaks) / 1024:.0f} MiB | {max(peaks) / 1024:.0f} MiB |")
    stage_total = med([sum(v[i] for v in stages.values()) for i in range(args.runs)])
    print(f"| start-up and imports (wall − stages) | {med(walls) - stage_total:.2f} s | |")
    for k, v in stages.items():
        print(f"| stage `{k}` | {med(v):.3f} s ({med(v) / med(walls):.0%}) | {max(v):.3f} s |")
    print("\n# peers on the same input, same run\n")
    print("| peer | median | max | note |")
    print("|---|---:|---:|---|")
    plain, ours = med(peer["owlrl plain closure"]), med(peer["ruhrkg reasoning (same process)"])
    print(
        f"| owlrl, plain closure of data + ontology | {plain:.2f} s | {max(peer['owlrl plain closure']):.2f} s | reference |"
    )
    print(f"| ruhrkg reasoning (owlrl, optimised) | {ours:.2f} s | {max(peer['ruhrkg reasoning (same process)']):.2f} s "
          f"| {plain / ours:.1f}× faster, same entailments (tested) |")  # fmt: skip
    bulk = med(peer["pyoxigraph bulk_load"])
    load = med(stages["load"])
    print(f"| pyoxigraph `Store.bulk_load` of the same {total_quads} quads (N-Quads) | {bulk:.3f} s | "
          f"{max(peer['pyoxigraph bulk_load']):.3f} s | {total_quads / bulk / 1e6:.2f} M quads/s |")  # fmt: skip
    print(f"| ruhrkg load stage (`bulk_extend` from rdflib terms) | {load:.3f} s | {max(stages['load']):.3f} s | "
          f"{total_quads / load / 1e6:.2f} M quads/s, {bulk / load:.2f}× the bulk loader |")  # fmt: skip


if __name__ == "__main__":
    main()
