"""The whole pipeline at ×1 … ×1000 of the real document, beside Oxigraph's own tools, in one table.

    python bench/pipeline_bench.py                          # scales 1, 10, 100
    python bench/pipeline_bench.py --scales 1,10,100,1000   # about 15 minutes more for ×1000

For every scale (synthetic corpora from bench/synth.py, deterministic by seed):

1. ``ruhrkg build --engine auto`` in a fresh process: wall time, peak RSS (the
   child's ``ru_maxrss``), and the stage timings and triple counts of its manifest;
2. the peer for loading: a fresh process ``pyoxigraph.Store(path).bulk_load`` of the
   build's own N-Quads dump (the same triples) into an empty on-disk store, against
   the build's ``load`` stage: triples/s of each and the ratio;
3. query latency: ``ruhrkg serve`` on the build and Oxigraph server
   (``oxigraph load`` + ``serve-read-only``) on the same N-Quads, each saved query
   (federated ones skipped; parameters bound to their defaults) sent 5 times after a
   warm-up with a fresh comment each time so no result cache can answer, medians
   compared; the peak RSS of both servers.

Nothing runs in parallel: the machine may be shared, and this measures it alone.
Results go to bench/results/pipeline-<time>.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import http_bench  # noqa: E402  (the query loading and server handling of the HTTP benchmark)

BIN = Path(sys.executable).parent


def run_child(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of this child alone (``wait4``), and its stdout."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{err.read().decode(errors='replace')[-3000:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


BULK = """
import sys, time, pyoxigraph as ox
st = ox.Store(sys.argv[2])
t = time.perf_counter()
st.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
st.flush()
print(time.perf_counter() - t)
"""


def peak_rss_tree(root: int) -> float:
    kids = http_bench._children_map()
    return sum(http_bench._status_kb(p, ("VmHWM",)).get("VmHWM", 0) for p in http_bench.process_tree(root, kids)) / 1024


def latency(url_for, query: str, reps: int) -> float:
    times = []
    for i in range(reps + 1):
        text = f"{query}\n# run {i} {time.perf_counter_ns()}\n"
        req = urllib.request.Request(url_for(text), headers={"Accept": "application/sparql-results+json"})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=600) as resp:
            resp.read()
        if i:
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def one_scale(scale: int, seed: int, work: Path, reps: int, say) -> dict:
    out: dict = {"scale": scale}
    corpus, gazetteer, data = work / f"x{scale}.txt", work / f"x{scale}.gazetteer.yaml", work / f"data-x{scale}"
    subprocess.run([sys.executable, str(HERE / "synth.py"), "--scale", str(scale), "--seed", str(seed), "-o", str(corpus)],
                   check=True, capture_output=True)  # fmt: skip
    say(f"x{scale}: corpus written ({corpus.stat().st_size / 1e6:.1f} MB); building")
    cmd = [str(BIN / "ruhrkg"), "build", "--data-dir", str(data), "--source", str(corpus), "-q"]
    if gazetteer.exists():
        cmd += ["--gazetteer", str(gazetteer)]
    wall, rss, _ = run_child(cmd)
    manifest = json.loads((data / "current" / "build.json").read_text())
    t = manifest["triples"]
    loaded = t["data"] + t["ontology"] + t["inferred"] + t["links"]
    out |= {"engine": manifest.get("engine"), "build_s": wall, "build_rss_mib": rss, "timings": manifest["timings"],
            "triples": t, "loaded": loaded}  # fmt: skip
    nq = data / "current" / "downloads" / "ruhrkg.nq"
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        _, _, printed = run_child([sys.executable, "-c", BULK, str(nq), str(Path(tmp) / "store")])
    bulk_s = float(printed.strip().splitlines()[-1])
    load_s = manifest["timings"]["load"]
    out |= {"load_tps": loaded / load_s, "bulk_tps": loaded / bulk_s, "load_ratio": bulk_s / load_s}
    say(f"x{scale}: built in {wall:.1f} s ({out['engine']}); load {out['load_tps'] / 1e6:.2f} M/s vs bulk_load "
        f"{out['bulk_tps'] / 1e6:.2f} M/s; measuring queries")  # fmt: skip

    queries = http_bench.load_queries(Path(__file__).resolve().parent.parent / "queries", adhoc=False, only=None)
    ox_dir = work / f"oxigraph-x{scale}"
    subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(ox_dir), "--file", str(nq)], check=True,
                   capture_output=True)  # fmt: skip
    p1, p2 = http_bench.free_port(), http_bench.free_port()
    graphs = [("default-graph-uri", http_bench.GRAPH_DATA), ("default-graph-uri", http_bench.GRAPH_ONTOLOGY)]
    servers = [
        http_bench.Server(
            "ruhrkg",
            f"{BIN / 'ruhrkg'} serve --data-dir {data} --port {p1} --timeout 600 --query-memory 8000 --query-memory-total 16000",
            p1,
            "/sparql",
        ),  # fmt: skip
        http_bench.Server(
            "oxigraph",
            f"{BIN / 'oxigraph'} serve-read-only --location {ox_dir} --bind 127.0.0.1:{p2}",
            p2,
            "/query",
            graphs,
        ),  # fmt: skip
    ]
    rows = {}
    try:
        for s in servers:
            s.start(work)
        for s in servers:
            s.wait_ready(300)
        for q in queries:
            rows[q.name] = {s.label: latency(s.url_for, q.text, reps) for s in servers}
        out["server_rss_mib"] = {s.label: peak_rss_tree(s.proc.pid) for s in servers}
    finally:
        for s in servers:
            s.stop()
    out["queries"] = rows
    ratios = [r["ruhrkg"] / r["oxigraph"] for r in rows.values()]
    out["latency_ratio_gmean"] = statistics.geometric_mean(ratios)
    slowest = max(rows, key=lambda n: rows[n]["ruhrkg"])
    out["slowest"] = (slowest, rows[slowest]["ruhrkg"], rows[slowest]["oxigraph"])
    return out


def report(results: list[dict]) -> str:
    lines = [
        "| scale | engine | data / inferred triples | build wall | parse | map | validate | reason | load | "
        "load vs bulk_load | export | build peak RSS |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        t = r["timings"]
        lines.append(
            f"| ×{r['scale']} | {r['engine']} | {r['triples']['data']:,} / {r['triples']['inferred']:,} "
            f"| {r['build_s']:.1f} s | {t['parse']:.1f} s | {t['map']:.1f} s | {t['validate']:.1f} s "
            f"| {t['reason']:.1f} s | {t['load']:.1f} s ({r['load_tps'] / 1e6:.2f} M/s) "
            f"| {r['load_ratio']:.2f}× ({r['bulk_tps'] / 1e6:.2f} M/s) | {t['export']:.1f} s "
            f"| {r['build_rss_mib']:,.0f} MiB |"
        )
    lines += [
        "",
        "| scale | saved-query latency, ruhrkg / Oxigraph server (geometric mean) | slowest saved query (ruhrkg, Oxigraph) "
        "| server peak RSS ruhrkg / Oxigraph |",
        "|---:|---:|---|---:|",
    ]
    for r in results:
        name, mine, theirs = r["slowest"]
        rss = r["server_rss_mib"]
        lines.append(
            f"| ×{r['scale']} | {r['latency_ratio_gmean']:.2f} | `{name}` {mine:.1f} ms, {theirs:.1f} ms "
            f"| {rss['ruhrkg']:,.0f} / {rss['oxigraph']:,.0f} MiB |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,100", help="comma-separated multiples of the real document")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5, help="timed requests per saved query and server (default 5)")
    ap.add_argument("--workdir", type=Path, help="keep corpora, builds and stores here (default: a temporary dir)")
    args = ap.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",")]
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = [one_scale(s, args.seed, work, args.reps, say) for s in scales]
    text = report(results)
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"pipeline-{stamp}.md").write_text(text)
    (out / f"pipeline-{stamp}.json").write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("RUHRKG_ACCESS_LOG", "0")
    sys.exit(main())
