#!/usr/bin/env python3
"""HTTP benchmark of the ruhrkg SPARQL endpoint against Oxigraph's own server.

In one run this script

* exports the current build as N-Quads (``ruhrkg export -g all -f nquads``, or ``--nquads FILE``),
* starts Oxigraph server in memory (``oxigraph serve``, data POSTed to ``/store``) -- the baseline --,
  Oxigraph on disk (``oxigraph load`` + ``oxigraph serve-read-only``) and every ``--candidate``
  command, each on a free 127.0.0.1 port, and waits until each one answers,
* checks that every server returns the same results for every query,
* drives them with ``wrk`` for every (concurrency, query) cell, the servers interleaved
  (A, B, C for one cell, then the next cell with the order rotated), so drift hits all of them,
* samples the memory of each server's process tree all along (peak RSS, peak PSS, sum of VmHWM),
* prints a Markdown report (requests/s, p50/p99 latency, errors, ratios against Oxigraph in memory,
  geometric means over the saved and over the ad-hoc queries) and writes it, with the raw numbers
  as JSON, to ``bench/results/``.

Queries: the saved queries (``queries/*.rq``, ``#+`` header lines stripped) and a few ad-hoc queries
that carry a literal changing with every request (per wrk thread and request counter), so that no
result cache can answer them.

Oxigraph's default graph is the store's default graph, while ruhrkg's is the data plus the ontology
named graphs. By default the harness therefore loads Oxigraph with the quads of those two graphs moved
into the default graph (the other graphs stay named), so both answer the *same* request on the *same*
data. ``--oxigraph-dataset params`` instead keeps the graphs named and adds ``default-graph-uri``
parameters to the requests sent to Oxigraph only.

Example::

    ruhrkg build
    python bench/http_bench.py --candidate "ruhrkg serve --port {port}" --label ruhrkg
    python bench/http_bench.py --quick --candidate "gunicorn -w 2 -b 127.0.0.1:{port} 'app:create()'"

Placeholders in a candidate command: ``{port}``, ``{host}``, ``{store}`` (the current build's store
directory), ``{data_dir}``. Commands run through ``/bin/sh`` in their own process group, which is
terminated at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HOST = "127.0.0.1"
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"  # CONSTRUCT/DESCRIBE: N-Triples
NONCE = "__NONCE__"
GRAPH_DATA = "https://w3id.org/ruhrkg/graph/data"
GRAPH_ONTOLOGY = "https://w3id.org/ruhrkg/graph/ontology"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
BUSY_SHARE = 0.10  # a run is flagged when other processes (or steal) took more than this share of all CPUs

# Ad-hoc queries: every request carries a different literal in place of __NONCE__ (it never matches,
# so the results stay the same, but a cache keyed by the request cannot hit).
ADHOC_QUERIES = {
    "adhoc-label-search": """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label WHERE {
  ?s rdfs:label ?label .
  FILTER(CONTAINS(LCASE(STR(?label)), "ruhr") && STR(?label) != "__NONCE__")
}
ORDER BY ?label ?s""",
    "adhoc-forum-events": """PREFIX rk: <https://w3id.org/ruhrkg/def#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?number (SAMPLE(?title) AS ?t) (COUNT(DISTINCT ?event) AS ?events) WHERE {
  ?event a rk:Event ; rk:forum ?forum .
  ?forum rk:number ?number ; dct:title ?title .
  FILTER(STR(?title) != "__NONCE__")
}
GROUP BY ?number
ORDER BY ?number""",
    "adhoc-class-counts": """SELECT ?class (COUNT(?s) AS ?n) WHERE {
  ?s a ?class .
  FILTER(?class != <urn:x-nonce:__NONCE__>)
}
GROUP BY ?class
ORDER BY DESC(?n) ?class""",
    "adhoc-describe-forum": """# __NONCE__
DESCRIBE <https://w3id.org/ruhrkg/id/forum/04>""",
    "adhoc-forum-neighbourhood": """CONSTRUCT { ?f ?p ?o . ?x ?q ?f } WHERE {
  BIND(<https://w3id.org/ruhrkg/id/forum/04> AS ?f)
  { ?f ?p ?o } UNION { ?x ?q ?f }
  FILTER(?o != <urn:x-nonce:__NONCE__>)
}""",
    "adhoc-predicate-usage": """SELECT ?p (COUNT(*) AS ?n) WHERE {
  ?s ?p ?o .
  FILTER(?p != <urn:x-nonce:__NONCE__>)
}
GROUP BY ?p
ORDER BY DESC(?n) ?p""",
    "adhoc-triples-page": """SELECT ?s ?p ?o WHERE {
  ?s ?p ?o .
  FILTER(?s != <urn:x-nonce:__NONCE__>)
}
ORDER BY ?s ?p ?o
LIMIT 500""",
}


# --------------------------------------------------------------------------- queries


@dataclass
class Query:
    name: str
    text: str
    kind: str  # "saved" or "adhoc"
    params: dict = field(default_factory=dict)  # saved-query parameters bound to their defaults (SPARQL terms)

    @property
    def dynamic(self) -> bool:
        return NONCE in self.text

    def concrete(self, nonce: str = "check") -> str:
        return self.text.replace(NONCE, nonce)


def _header(lines: list[str]) -> dict:
    """The YAML header of a saved query (its ``#+`` lines), or {} if it cannot be read."""
    head = "\n".join(line[3:] if line.startswith("#+ ") else line[2:] for line in lines if line.startswith("#+"))
    try:
        import yaml

        doc = yaml.safe_load(head) if head.strip() else {}
    except Exception:  # noqa: BLE001 - no PyYAML or a broken header: treat as unparametrised
        return {}
    return doc if isinstance(doc, dict) else {}


def _sparql_term(value: object, typ: str) -> str:
    if typ == "iri":
        return f"<{value}>"
    if typ == "integer" or isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value))
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def bind_defaults(text: str, params: dict) -> tuple[str, dict]:
    """Bind each parameter to its default with a VALUES block at the start of the outermost WHERE group.

    ruhrkg binds saved-query parameters with pyoxigraph substitutions, which plain SPARQL over HTTP cannot
    express; a VALUES block in the text is the closest equivalent that every server understands.
    """
    bound = {}
    for name, spec in (params or {}).items():
        spec = spec or {}
        default = spec.get("default")
        if default is None:
            continue
        if isinstance(default, list):
            default = default[0] if default else None
            if default is None:
                continue
        bound[name] = _sparql_term(default, str(spec.get("type", "string")))
    if not bound:
        return text, {}
    m = re.search(r"\bWHERE\s*\{", text, re.I) or re.search(r"\b(SELECT|ASK|DESCRIBE)\b[^{]*\{", text, re.I)
    if not m:
        return text, {}
    values = " ".join(f"VALUES ?{n} {{ {t} }}" for n, t in bound.items())
    return text[: m.end()] + f"\n  {values}\n" + text[m.end() :], bound


def load_queries(qdir: Path, adhoc: bool, only: list[str] | None) -> list[Query]:
    out = []
    for f in sorted(qdir.glob("*.rq")):
        lines = f.read_text(encoding="utf-8").splitlines()
        text = "\n".join(line for line in lines if not line.startswith("#+")).strip() + "\n"
        if re.search(r"\bSERVICE\b", text, re.I):
            continue  # a federated query measures the remote endpoint (Wikidata), not the servers compared
        text, bound = bind_defaults(text, _header(lines).get("parameters") or {})
        out.append(Query(f.stem, text, "saved", bound))
    if adhoc:
        out += [Query(n, t + "\n", "adhoc") for n, t in ADHOC_QUERIES.items()]
        # the saved queries without parameters, each request unique (a comment no cache can see past)
        out += [Query("adhoc-" + q.name, f"# {NONCE}\n" + q.text, "adhoc") for q in list(out)
                if q.kind == "saved" and not q.params]
    if only:
        out = [q for q in out if any(s in q.name for s in only)]
    if not out:
        sys.exit(f"no queries (looked in {qdir})")
    return out


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    label: str
    command: str  # shell command, already with the port filled in
    port: int
    path: str  # the query endpoint path
    extra: list[tuple[str, str]] = field(default_factory=list)  # extra query parameters (e.g. default-graph-uri)
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, workdir: Path) -> None:
        self.log = workdir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', self.label)}.log"
        fh = open(self.log, "wb")
        self.proc = subprocess.Popen(
            self.command,
            shell=True,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        fh.close()

    def url_for(self, query: str) -> str:
        params = [("query", query), *self.extra]
        return f"{self.base}{self.path}?{urllib.parse.urlencode(params)}"

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = http_get(self.url_for("ASK {}"), timeout=2)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as e:
                last = str(e)
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} did not answer within {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the process group is ours alone
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(5)
        # reap stragglers of the group (workers that outlived their master)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def http_get(
    url: str, timeout: float = 30, data: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, headers={"Accept": ACCEPT, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --------------------------------------------------------------------------- memory


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def process_tree(root: int, kids: dict[int, list[int]]) -> list[int]:
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _status_kb(pid: int, keys: tuple[str, ...]) -> dict[str, int]:
    res = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in keys:
                res[k] = int(v.split()[0])
    except OSError:
        pass
    return res


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Samples every server's process tree: peak of the summed RSS and PSS, and each process's VmHWM."""

    def __init__(self, servers: list[Server], interval: float = 0.25):
        super().__init__(daemon=True)
        self.servers = servers
        self.interval = interval
        self.stop_event = threading.Event()
        self.peak_rss = {s.label: 0 for s in servers}
        self.peak_pss = {s.label: 0 for s in servers}
        self.hwm: dict[str, dict[int, int]] = {s.label: {} for s in servers}
        self.max_procs = {s.label: 0 for s in servers}

    def sample(self) -> None:
        kids = _children_map()
        for s in self.servers:
            if s.proc is None or s.proc.poll() is not None:
                continue
            pids = process_tree(s.proc.pid, kids)
            rss = pss = 0
            for p in pids:
                st = _status_kb(p, ("VmRSS", "VmHWM"))
                rss += st.get("VmRSS", 0)
                if "VmHWM" in st:
                    self.hwm[s.label][p] = max(self.hwm[s.label].get(p, 0), st["VmHWM"])
                pss += _pss_kb(p)
            self.peak_rss[s.label] = max(self.peak_rss[s.label], rss)
            self.peak_pss[s.label] = max(self.peak_pss[s.label], pss)
            self.max_procs[s.label] = max(self.max_procs[s.label], len(pids))

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)

    def report(self) -> dict[str, dict]:
        return {
            s.label: {
                "peak_rss_mb": self.peak_rss[s.label] / 1024,
                "peak_pss_mb": self.peak_pss[s.label] / 1024,
                "sum_vmhwm_mb": sum(self.hwm[s.label].values()) / 1024,
                "processes": self.max_procs[s.label],
            }
            for s in self.servers
        }


# --------------------------------------------------------------------------- wrk

LUA_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,' ..
    '"status":%.0f,"timeout":%.0f,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  -- The whole latency histogram (value, count per non-empty bin; latency(i) is wrk 4.1's accessor), so the
  -- harness can undo wrk's coordinated-omission correction (see measured_latency in http_bench.py).
  local parts = {}
  for i = 1, #latency do
    local v, n = latency(i)
    parts[#parts + 1] = string.format("%.0f:%.0f", v, n)
  end
  io.write("WRKHIST " .. table.concat(parts, ",") .. "\n")
end
"""


def _percentile(hist: list[tuple[int, int]], p: float) -> int:
    """wrk's definition: the first value whose cumulative count reaches round(p/100 * n + 0.5)."""
    n = sum(c for _, c in hist)
    rank = math.floor(p / 100 * n + 0.5 + 0.5)  # C round(x + 0.5) for x >= 0
    acc = 0
    for v, c in hist:
        acc += c
        if acc >= rank:
            return v
    return hist[-1][0] if hist else 0


def measured_latency(corrected: dict[int, int], duration_us: int, requests: int, conns: int) -> dict | None:
    """Undo wrk's coordinated-omission correction and return the latencies that were really measured.

    After a run, wrk 4.x calls stats_correct(latency, interval) with interval = runtime_us / (requests /
    connections): for every recorded latency n >= 2 x interval it adds synthetic samples at n - interval,
    n - 2 x interval, ... down to > interval. Its percentiles therefore describe an imagined constant-rate
    client, and one stall (a GC pause, another process taking the CPU) turns into thousands of synthetic
    slow samples: we saw p99 of 260 ms where the slowest 1 % of the real requests took 8 ms. Each bin m >
    interval received the counts of bins m + k x interval (k >= 1), so original[m] = corrected[m] -
    corrected[m + interval]. Returns None if the result is not consistent (counts must add up to requests).
    """
    per_conn = requests // conns if conns else 0
    if per_conn > 0:
        e = duration_us // per_conn
        orig = {v: (c - corrected.get(v + e, 0) if v > e else c) for v, c in corrected.items()}
    else:
        orig = dict(corrected)
    if any(c < 0 for c in orig.values()) or sum(orig.values()) != requests:
        return None
    hist = sorted((v, c) for v, c in orig.items() if c)
    n = sum(c for _, c in hist)
    if not n:
        return None
    return {
        "p50_us": _percentile(hist, 50),
        "p90_us": _percentile(hist, 90),
        "p99_us": _percentile(hist, 99),
        "max_us": hist[-1][0],
        "mean_us": sum(v * c for v, c in hist) / n,
    }


def lua_str(s: str) -> str:
    """A Lua long-bracket-free string literal (quotes and backslashes escaped)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(server: Server, query: Query, method: str) -> str:
    params = urllib.parse.urlencode([("query", query.text), *server.extra])
    lines = [f'wrk.headers["Accept"] = {lua_str(ACCEPT)}']
    if method == "post":
        lines += ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"']
    if not query.dynamic:
        # Fixed request: set it once, wrk pre-builds it (no Lua call per request).
        if method == "post":
            lines += [f"wrk.path = {lua_str(server.path)}", f"wrk.body = {lua_str(params)}"]
        else:
            lines += [f"wrk.path = {lua_str(server.path + '?' + params)}"]
    else:
        head, tail = params.split(NONCE, 1)  # the nonce survives URL encoding unchanged
        lines += [
            f"local head = {lua_str(head)}",
            f"local tail = {lua_str(tail)}",
            f"local path = {lua_str(server.path)}",
            "local counter = 0",
            "local next_tid = 1",
            # setup() runs in the main Lua state, once per wrk thread; each thread has its own state.
            "function setup(thread) thread:set('tid', next_tid); next_tid = next_tid + 1 end",
            # init() runs in each thread's state; args[1] is a run id, so nonces never repeat across runs.
            "local run = 'r'",
            "function init(args) run = 'r' .. (args[1] or '') end",
            "function request()",
            "  counter = counter + 1",
            "  local nonce = run .. 't' .. (tid or 0) .. 'n' .. counter",
        ]
        if method == "post":
            lines += ["  return wrk.format('POST', path, nil, head .. nonce .. tail)"]
        else:
            lines += ["  return wrk.format('GET', path .. '?' .. head .. nonce .. tail)"]
        lines += ["end"]
    return "\n".join(lines) + "\n" + LUA_DONE


def run_wrk(
    wrk: str, server: Server, script: Path, conns: int, threads: int, duration: float, timeout: str, run_id: str = "0"
) -> dict:
    threads = max(1, min(threads, conns))
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(conns),
        "-d",
        f"{max(1, int(duration))}s",
        "--timeout",
        timeout,
        "-s",
        str(script),
        server.base + "/",
        "--",
        run_id,
    ]
    before = cpu_snapshot(server)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    wall = time.monotonic() - t0
    after = cpu_snapshot(server)
    m = re.search(r"^WRKJSON (\{.*\})$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}): {' '.join(map(shlex.quote, cmd))}\n{p.stdout}\n{p.stderr}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / secs if secs else 0.0
    r["socket_errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    r["non2xx"] = r["status"]  # wrk counts responses with status >= 400 here (3xx count as success)
    # wrk's own numbers include its coordinated-omission correction; keep them as *_co_us, report measured ones.
    for k in ("p50_us", "p90_us", "p99_us", "max_us", "mean_us"):
        r[k.replace("_us", "_co_us")] = r[k]
    h = re.search(r"^WRKHIST (.*)$", p.stdout, re.M)
    corrected = {}
    if h and h.group(1).strip():
        for part in h.group(1).strip().split(","):
            v, c = part.split(":")
            corrected[int(v)] = corrected.get(int(v), 0) + int(c)
    meas = measured_latency(corrected, r["duration_us"], r["requests"], conns)
    r["suspect"] = meas is None  # could not undo the correction: the wrk numbers are kept, flagged
    if meas:
        r.update(meas)
    # With c connections the measured latencies cannot add up to more than c x the run time (~1.0 is normal).
    r["consistency"] = r["mean_us"] * r["requests"] / (r["duration_us"] * conns) if r["requests"] else 0.0
    # CPU accounting: everything the machine did besides this server, wrk and this script.
    d = {k: after[k] - before[k] for k in before}
    ncpu = os.cpu_count() or 1
    r["server_cpu"] = d["server"] / wall  # in CPUs (1.0 = one core busy)
    r["wrk_cpu"] = d["children"] / wall
    r["other_cpu_share"] = max(0.0, d["busy"] - d["server"] - d["children"] - d["self"]) / (ncpu * wall)
    r["steal_share"] = d["steal"] / (ncpu * wall)
    r["busy_machine"] = r["other_cpu_share"] > BUSY_SHARE or r["steal_share"] > BUSY_SHARE
    return r


HZ = os.sysconf("SC_CLK_TCK")


def machine_busy_share(interval: float = 1.0) -> float:
    """Share of all CPUs busy (or stolen) over ``interval`` seconds, everything included."""

    def read():
        with open("/proc/stat") as fh:
            v = [int(x) for x in fh.readline().split()[1:]]
        return v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)

    a = read()
    time.sleep(interval)
    return (read() - a) / HZ / ((os.cpu_count() or 1) * interval)


def wait_until_quiet(max_wait: float, say) -> float:
    """Between runs all servers are idle: wait (up to max_wait s) until the machine is too. Returns the wait."""
    t0 = time.monotonic()
    warned = False
    while True:
        share = machine_busy_share()
        waited = time.monotonic() - t0
        if share <= BUSY_SHARE or waited >= max_wait:
            if warned:
                say(f"  ... {'quiet' if share <= BUSY_SHARE else 'still busy'} after {waited:.0f} s")
            return waited
        if not warned:
            say(f"  machine busy with other work ({share:.0%} of the CPUs), waiting up to {max_wait:.0f} s")
            warned = True


def _tree_cpu(root: int) -> float:
    total = 0
    for p in process_tree(root, _children_map()):
        try:
            st = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        f = st[st.rfind(")") + 2 :].split()
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])  # utime stime cutime cstime
    return total / HZ


def cpu_snapshot(server: Server) -> dict:
    """CPU seconds so far: whole machine (busy, steal), the server's tree, reaped children (wrk), this process."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq (guest is part of user)
    steal = v[7] if len(v) > 7 else 0
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "busy": busy / HZ,
        "steal": steal / HZ,
        "server": _tree_cpu(server.proc.pid) if server.proc else 0.0,
        "children": ch.ru_utime + ch.ru_stime,
        "self": me.ru_utime + me.ru_stime,
    }


# --------------------------------------------------------------------------- result checks


def normalise(body: bytes) -> object:
    if not body.lstrip().startswith(b"{"):  # N-Triples (CONSTRUCT, DESCRIBE): the set of triples, blank nodes as _
        return sorted({re.sub(rb"_:[A-Za-z0-9]+", b"_", line.strip()) for line in body.splitlines() if line.strip()})
    doc = json.loads(body)
    if "boolean" in doc:
        return doc["boolean"]
    rows = []
    for b in doc["results"]["bindings"]:
        row = []
        for var, t in sorted(b.items()):
            typ = "literal" if t["type"] == "typed-literal" else t["type"]
            val = "_" if typ == "bnode" else t["value"]
            dtp = t.get("datatype")
            dtp = None if dtp == XSD_STRING else dtp
            row.append((var, typ, val, dtp, t.get("xml:lang")))
        rows.append(tuple(row))
    return sorted(rows)


def fetch(server: Server, query: str, method: str) -> tuple[int, bytes]:
    if method == "post":
        body = urllib.parse.urlencode([("query", query), *server.extra]).encode()
        return http_get(
            server.base + server.path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    return http_get(server.url_for(query))


# --------------------------------------------------------------------------- statistics and report


def gmean(xs: list[float]) -> float:
    xs = [x for x in xs if x > 0 and math.isfinite(x)]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")


def aggregate(runs: list[dict]) -> dict:
    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    return {
        "rps": med("rps"),
        "p50_ms": med("p50_us") / 1000,
        "p99_ms": med("p99_us") / 1000,
        "p99_co_ms": med("p99_co_us") / 1000,
        "max_ms": max(r["max_us"] for r in runs) / 1000,
        "requests": sum(r["requests"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "rounds": len(runs),
        "suspect": sum(bool(r.get("suspect")) for r in runs),
        "busy": sum(bool(r.get("busy_machine")) for r in runs),
        "server_cpu": med("server_cpu"),
        "other_cpu_share": max(r["other_cpu_share"] for r in runs),
    }


def fmt(x: float, nd: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{nd}f}"


def build_report(
    meta: dict, servers: list[Server], queries: list[Query], concs: list[int], agg: dict, mem: dict
) -> tuple[str, dict]:
    base = servers[0].label
    others = [s.label for s in servers[1:]]
    md = []
    md.append(f"# HTTP benchmark, {meta['started']}\n")
    md.append(
        f"{meta['host']}; {meta['cpus']} CPUs; wrk {meta['wrk_version']}, {meta['wrk_threads']} wrk thread(s); "
        f"{meta['duration']:g} s per run x {meta['rounds']} round(s); method {meta['method'].upper()}; "
        f"Accept: {ACCEPT}; baseline: **{base}**; oxigraph dataset mode: {meta['oxigraph_dataset']}.\n"
    )
    md.append("Servers:\n")
    for s in servers:
        md.append(f"- **{s.label}**: `{s.command}` (endpoint `{s.path}`)")
    md.append("")

    # summary: ratios against the baseline
    summary: dict = {}
    md.append(f"## Ratios against {base} (geometric means; rps ratio > 1 = faster, p99 ratio < 1 = lower latency)\n")
    md.append(
        "| server | c | saved rps ratio | saved p99 ratio (max) | ad-hoc rps ratio | ad-hoc p99 ratio (max) | errors |"
    )
    md.append("|---|---:|---:|---:|---:|---:|---:|")
    for lab in others:
        for c in concs:
            row = {}
            for kind in ("saved", "adhoc"):
                qs = [q.name for q in queries if q.kind == kind]
                rr = [agg[(lab, q, c)]["rps"] / agg[(base, q, c)]["rps"] for q in qs if agg[(base, q, c)]["rps"]]
                pr = [
                    agg[(lab, q, c)]["p99_ms"] / agg[(base, q, c)]["p99_ms"] for q in qs if agg[(base, q, c)]["p99_ms"]
                ]
                row[kind] = {
                    "rps_ratio": gmean(rr) if rr else float("nan"),
                    "p99_ratio": gmean(pr) if pr else float("nan"),
                    "p99_ratio_max": max(pr) if pr else float("nan"),
                }
            errs = sum(agg[(lab, q.name, c)]["non2xx"] + agg[(lab, q.name, c)]["socket_errors"] for q in queries)
            row["errors"] = errs
            summary[f"{lab}@c{c}"] = row
            md.append(
                f"| {lab} | {c} | {fmt(row['saved']['rps_ratio'])} | {fmt(row['saved']['p99_ratio'])} ({fmt(row['saved']['p99_ratio_max'])}) "
                f"| {fmt(row['adhoc']['rps_ratio'])} | {fmt(row['adhoc']['p99_ratio'])} ({fmt(row['adhoc']['p99_ratio_max'])}) | {errs} |"
            )
    flagged = [k for k, v in agg.items() if v["busy"] or v["suspect"]]
    if flagged:
        md.append(
            f"\n**{len(flagged)} of {len(agg)} cells are flagged** (busy machine or impossible wrk latency "
            "statistics, see the `!` marks below); treat their numbers with care."
        )
    md.append("")
    md.append(
        "Targets of issue 3 (at c=8 and c=32): saved rps ratio >= 1.0 with p99 no worse (ratio <= 1.0), "
        "ad-hoc rps ratio >= 0.6, no errors.\n"
    )
    for lab in others:
        verdicts = []
        for c in [c for c in concs if c in (8, 32)]:
            r = summary[f"{lab}@c{c}"]
            ok = (
                r["saved"]["rps_ratio"] >= 1.0
                and r["saved"]["p99_ratio"] <= 1.0
                and r["adhoc"]["rps_ratio"] >= 0.6
                and r["errors"] == 0
            )
            strict = r["saved"]["p99_ratio_max"] <= 1.0
            verdicts.append(
                f"c={c}: {'meets' if ok else 'misses'}"
                + ("" if not ok or strict else " (p99 of some saved query worse)")
            )
        if verdicts:
            md.append(f"- {lab}: " + "; ".join(verdicts))
    md.append("")

    md.append("## Peak memory of each server's process tree\n")
    md.append("| server | processes | peak RSS (MB) | peak PSS (MB) | sum of VmHWM (MB) |")
    md.append("|---|---:|---:|---:|---:|")
    for s in servers:
        m = mem[s.label]
        md.append(
            f"| {s.label} | {m['processes']} | {m['peak_rss_mb']:.1f} | {m['peak_pss_mb']:.1f} | {m['sum_vmhwm_mb']:.1f} |"
        )
    md.append(
        "\nPeak RSS/PSS: the largest sum over the tree seen by sampling every 0.25 s (PSS splits pages shared "
        "between forked workers); sum of VmHWM: each process's own high-water mark, summed (an upper bound).\n"
    )

    md.append("## All runs\n")
    md.append(
        "| query | c | server | req/s | p50 ms | p99 ms | max ms | non-2xx | socket errors | rps ratio | p99 ratio "
        "| p99 wrk-CO ms | server CPUs | other CPU |"
    )
    md.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in concs:
        for q in queries:
            b = agg[(base, q.name, c)]
            for s in servers:
                a = agg[(s.label, q.name, c)]
                rr = a["rps"] / b["rps"] if b["rps"] else float("nan")
                pr = a["p99_ms"] / b["p99_ms"] if b["p99_ms"] else float("nan")
                flag = " !" if a["suspect"] else ""
                md.append(
                    f"| {q.name} | {c} | {s.label} | {a['rps']:.0f} | {a['p50_ms']:.2f}{flag} | {a['p99_ms']:.2f}{flag} | {a['max_ms']:.1f}{flag} "
                    f"| {a['non2xx']} | {a['socket_errors']} | {fmt(rr)} | {fmt(pr)} | {a['p99_co_ms']:.2f} | {a['server_cpu']:.2f} "
                    f"| {a['other_cpu_share']:.0%}{' !' if a['busy'] else ''} |"
                )
    md.append(
        "\nLatencies are the measured ones (wrk's coordinated-omission correction undone); p99 wrk-CO is wrk's own, "
        "corrected p99 (synthetic samples for an imagined constant-rate client), for reference."
    )
    md.append(
        "\nserver CPUs: CPU time of the server's process tree per second of the run (1.00 = one core). "
        f"other CPU: share of all {os.cpu_count()} CPUs used by anything but the server, wrk and this script "
        "(plus steal), the largest over the rounds."
    )
    if any(v["suspect"] for v in agg.values()):
        md.append(
            "\n`!` on latencies: wrk's coordinated-omission correction could not be undone for this cell; "
            "its latencies are wrk's corrected ones."
        )
    if any(v["busy"] for v in agg.values()):
        md.append(
            f"\n`!` on other CPU: the machine was busy with other work (> {BUSY_SHARE:.0%}) during this cell "
            "even after retries; its numbers are unreliable."
        )
    md.append("")
    data = {
        "meta": meta,
        "servers": [{"label": s.label, "command": s.command, "path": s.path} for s in servers],
        "queries": [{"name": q.name, "kind": q.kind, "params": q.params, "text": q.text} for q in queries],
        "summary": summary,
        "memory": mem,
        "cells": [{"server": k[0], "query": k[1], "c": k[2], **v} for k, v in agg.items()],
    }
    return "\n".join(md), data


# --------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark SPARQL HTTP servers (candidates vs. Oxigraph server) with wrk, interleaved, in one run.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Example::", 1)[1] if "Example::" in __doc__ else None,
    )
    ap.add_argument(
        "--candidate",
        action="append",
        default=[],
        metavar="CMD",
        help="shell command starting a candidate server; {port} (required), {host}, {store}, {data_dir} are filled in. Repeatable.",
    )
    ap.add_argument(
        "--label", action="append", default=[], help="a name for each --candidate, in order (default: candidate1, ...)"
    )
    ap.add_argument(
        "--candidate-path", default="/sparql", help="query endpoint path of the candidates (default: %(default)s)"
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("RUHRKG_DATA_DIR", "ruhrkg-data")),
        help="ruhrkg data directory with a build (default: $RUHRKG_DATA_DIR or ./ruhrkg-data)",
    )
    ap.add_argument(
        "--nquads", type=Path, help="N-Quads file of the whole dataset (default: run `ruhrkg export -g all -f nquads`)"
    )
    ap.add_argument(
        "--queries-dir",
        type=Path,
        default=REPO / "queries",
        help="directory of the saved .rq queries (default: %(default)s)",
    )
    ap.add_argument("--only", action="append", help="run only queries whose name contains this (repeatable)")
    ap.add_argument("--no-adhoc", action="store_true", help="skip the uncacheable ad-hoc queries")
    ap.add_argument(
        "-c", "--concurrency", default="1,8,32", help="comma-separated wrk connection counts (default: %(default)s)"
    )
    ap.add_argument(
        "-d",
        "--duration",
        type=int,
        default=10,
        help="whole seconds per wrk run (wrk takes no fractions; default: %(default)s)",
    )
    ap.add_argument("--quick", action="store_true", help="3-second runs")
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat every cell this often (medians are reported; default: %(default)s)",
    )
    ap.add_argument(
        "--method", choices=["get", "post"], default="get", help="GET ?query= or POST form (default: %(default)s)"
    )
    ap.add_argument("--wrk", default="wrk", help="wrk binary (default: %(default)s)")
    ap.add_argument(
        "--wrk-threads",
        type=int,
        default=1,
        help="wrk threads (capped at the connection count; default %(default)s: leaves the CPUs to the servers)",
    )
    ap.add_argument("--wrk-timeout", default="5s", help="wrk's per-request timeout (default: %(default)s)")
    ap.add_argument(
        "--oxigraph", default="oxigraph", help="Oxigraph server CLI (`pip install oxigraph`; default: %(default)s)"
    )
    ap.add_argument("--no-oxigraph-disk", action="store_true", help="do not run `oxigraph serve-read-only` on disk")
    ap.add_argument(
        "--oxigraph-dataset",
        choices=["default", "params"],
        default="default",
        help="'default': load data+ontology into Oxigraph's default graph; 'params': keep them named and send "
        "default-graph-uri to Oxigraph (default: %(default)s)",
    )
    ap.add_argument(
        "--warmup",
        type=int,
        default=20,
        help="sequential requests per server and query before measuring (default: %(default)s)",
    )
    ap.add_argument(
        "--retries",
        type=int,
        default=2,
        help="re-run a cell whose wrk latency statistics are impossible, up to this often (default: %(default)s)",
    )
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=60,
        metavar="S",
        help="before each run wait up to S seconds until other processes use < 10%% of the CPUs "
        "(0: don't; default: %(default)s)",
    )
    ap.add_argument("--pause", type=float, default=0.5, help="seconds of rest between wrk runs (default: %(default)s)")
    ap.add_argument(
        "--start-timeout", type=float, default=120, help="seconds to wait for a server to answer (default: %(default)s)"
    )
    ap.add_argument(
        "--no-verify", action="store_true", help="do not abort when a server's results differ from the baseline's"
    )
    ap.add_argument(
        "--results-dir", type=Path, default=HERE / "results", help="where to write the report (default: %(default)s)"
    )
    ap.add_argument("--tag", default="", help="suffix for the result file names")
    ap.add_argument(
        "--keep-workdir", action="store_true", help="keep the temporary directory (logs, Lua scripts, Oxigraph store)"
    )
    a = ap.parse_args(argv)
    if a.quick:
        a.duration = 3
    for c in a.candidate:
        if "{port}" not in c:
            ap.error(f"--candidate needs a {{port}} placeholder: {c}")
    if len(a.label) > len(a.candidate):
        ap.error("more --label than --candidate")
    return a


def export_nquads(args, workdir: Path) -> Path:
    if args.nquads:
        if not args.nquads.is_file():
            sys.exit(f"--nquads {args.nquads}: no such file")
        return args.nquads.resolve()
    out = workdir / "export.nq"
    ruhrkg = shutil.which("ruhrkg") or str(Path(sys.executable).with_name("ruhrkg"))
    cmd = [ruhrkg, "export", "--data-dir", str(args.data_dir), "-g", "all", "-f", "nquads", "-o", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"`{' '.join(cmd)}` failed (run `ruhrkg build` first?):\n{p.stderr}")
    return out


def oxigraph_data(src: Path, workdir: Path, mode: str) -> Path:
    """The N-Quads to load into Oxigraph: with data+ontology in the default graph (mode 'default')."""
    if mode == "params":
        return src
    import pyoxigraph as ox

    moved = {GRAPH_DATA, GRAPH_ONTOLOGY}
    quads = []
    for q in ox.parse(path=str(src), format=ox.RdfFormat.N_QUADS):
        g = q.graph_name
        if isinstance(g, ox.NamedNode) and g.value in moved:
            q = ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
        quads.append(q)
    out = workdir / "oxigraph.nq"
    ox.serialize(quads, str(out), format=ox.RdfFormat.N_QUADS)
    return out


def tool_version(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def main(argv=None) -> int:
    args = parse_args(argv)
    for tool in (args.wrk, args.oxigraph):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (apt-get install wrk; pip install oxigraph)")
    concs = [int(c) for c in args.concurrency.split(",")]
    queries = load_queries(args.queries_dir, not args.no_adhoc, args.only)
    workdir = Path(tempfile.mkdtemp(prefix="ruhrkg-http-bench-"))
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    data_dir = args.data_dir.resolve()
    store = (data_dir / "current" / "store").resolve()

    nq = export_nquads(args, workdir)
    oxnq = oxigraph_data(nq, workdir, args.oxigraph_dataset)
    ox_extra = (
        [("default-graph-uri", GRAPH_DATA), ("default-graph-uri", GRAPH_ONTOLOGY)]
        if args.oxigraph_dataset == "params"
        else []
    )

    servers: list[Server] = []
    p = free_port()
    servers.append(
        Server("oxigraph-mem", f"exec {shlex.quote(args.oxigraph)} serve --bind {HOST}:{p}", p, "/query", ox_extra)
    )
    if not args.no_oxigraph_disk:
        oxstore = workdir / "oxigraph-store"
        say(f"oxigraph load -> {oxstore}")
        r = subprocess.run(
            [args.oxigraph, "load", "--location", str(oxstore), "--file", str(oxnq)], capture_output=True, text=True
        )
        if r.returncode != 0:
            sys.exit(f"oxigraph load failed:\n{r.stderr}")
        p = free_port()
        servers.append(
            Server(
                "oxigraph-disk",
                f"exec {shlex.quote(args.oxigraph)} serve-read-only --location {shlex.quote(str(oxstore))} --bind {HOST}:{p}",
                p,
                "/query",
                ox_extra,
            )
        )
    for i, tmpl in enumerate(args.candidate):
        p = free_port()
        label = args.label[i] if i < len(args.label) else f"candidate{i + 1}"
        cmd = (
            tmpl.replace("{port}", str(p))
            .replace("{host}", HOST)
            .replace("{store}", shlex.quote(str(store)))
            .replace("{data_dir}", shlex.quote(str(data_dir)))
        )
        servers.append(Server(label, cmd, p, args.candidate_path))
    if len({s.label for s in servers}) != len(servers):
        sys.exit("server labels must be unique")

    sampler = MemorySampler(servers)
    meta = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": f"{platform.node()} {platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
        "wrk_version": tool_version([args.wrk, "-v"]).split(" [")[0].removeprefix("wrk "),
        "oxigraph_version": tool_version([args.oxigraph, "--version"]),
        "wrk_threads": args.wrk_threads,
        "duration": args.duration,
        "rounds": args.rounds,
        "method": args.method,
        "concurrency": concs,
        "oxigraph_dataset": args.oxigraph_dataset,
        "argv": sys.argv[1:],
    }
    try:
        for s in servers:
            say(f"starting {s.label}: {s.command}")
            s.start(workdir)
        sampler.start()
        for s in servers:
            s.wait_ready(args.start_timeout)
            if s.label == "oxigraph-mem":
                st, body = http_get(
                    f"{s.base}/store",
                    data=oxnq.read_bytes(),
                    headers={"Content-Type": "application/n-quads"},
                    timeout=300,
                )
                if st not in (200, 201, 204):
                    raise RuntimeError(f"loading oxigraph-mem through /store failed: HTTP {st} {body[:500]!r}")
            say(f"{s.label} answers on {s.base}{s.path}")

        # Same results everywhere, then warm up.
        mismatches = []
        for q in queries:
            ref = None
            for s in servers:
                st, body = fetch(s, q.concrete(), args.method)
                if st != 200:
                    raise RuntimeError(f"{s.label} answered {q.name} with HTTP {st}: {body[:500]!r}")
                norm = normalise(body)
                if ref is None:
                    ref, nref = norm, (len(norm) if isinstance(norm, list) else norm)
                elif norm != ref:
                    mismatches.append(
                        f"{q.name}: {s.label} differs from {servers[0].label} "
                        f"({len(norm) if isinstance(norm, list) else norm} vs {nref} rows)"
                    )
                for i in range(args.warmup):
                    fetch(s, q.concrete(f"warm{i}"), args.method)
        if mismatches:
            say("RESULTS DIFFER:\n  " + "\n  ".join(mismatches))
            if not args.no_verify:
                raise RuntimeError("results differ between servers (use --no-verify to measure anyway)")
        else:
            say(f"all {len(servers)} servers return the same results for all {len(queries)} queries")

        scripts = {}
        for s in servers:
            for q in queries:
                f = workdir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', s.label)}--{q.name}.lua"
                f.write_text(lua_script(s, q, args.method), encoding="utf-8")
                scripts[(s.label, q.name)] = f

        runs: dict[tuple, list[dict]] = {}
        stamp0 = f"{int(time.time()) % 100000}"  # with the run counter: a nonce prefix unique to each wrk run
        cells = [(c, q) for c in concs for q in queries]
        total = len(cells) * len(servers) * args.rounds
        n = 0
        eta = total * (args.duration + args.pause)
        say(f"{total} wrk runs of {args.duration:g} s: about {eta / 60:.1f} min")
        for ci, (c, q) in enumerate(cells):
            for r in range(args.rounds):
                k = (ci * args.rounds + r) % len(servers)
                order = servers[k:] + servers[:k]  # rotate, so no server always goes first
                for s in order:
                    n += 1
                    for attempt in range(args.retries + 1):
                        if args.wait_quiet:
                            wait_until_quiet(args.wait_quiet, say)
                        res = run_wrk(
                            args.wrk,
                            s,
                            scripts[(s.label, q.name)],
                            c,
                            args.wrk_threads,
                            args.duration,
                            args.wrk_timeout,
                            f"{stamp0}x{n}a{attempt}",
                        )
                        if res["suspect"]:
                            say(
                                f"[{n}/{total}] c={c} {q.name} {s.label}: could not undo wrk's coordinated-omission "
                                "correction; its (corrected) latencies are kept, flagged"
                            )
                        if not res["busy_machine"]:
                            break
                        say(
                            f"[{n}/{total}] c={c} {q.name} {s.label}: other processes used {res['other_cpu_share']:.0%} "
                            f"of the CPUs (steal {res['steal_share']:.0%}); "
                            + ("retrying" if attempt < args.retries else "keeping it, flagged")
                        )
                        time.sleep(args.pause * 4)
                    runs.setdefault((s.label, q.name, c), []).append(res)
                    say(
                        f"[{n}/{total}] c={c} {q.name} {s.label}: {res['rps']:.0f} req/s, p50 {res['p50_us'] / 1000:.2f} ms, "
                        f"p99 {res['p99_us'] / 1000:.2f} ms, non-2xx {res['non2xx']}, socket errors {res['socket_errors']}"
                    )
                    if s.proc.poll() is not None:
                        raise RuntimeError(f"{s.label} died during the run:\n{s.log_tail()}")
                    time.sleep(args.pause)
        sampler.stop_event.set()
        sampler.join()
        sampler.sample()
    finally:
        sampler.stop_event.set()
        for s in servers:
            s.stop()
        if args.keep_workdir:
            say(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    agg = {k: aggregate(v) for k, v in runs.items()}
    md, data = build_report(meta, servers, queries, concs, agg, sampler.report())
    data["raw"] = [{"server": k[0], "query": k[1], "c": k[2], "runs": v} for k, v in runs.items()]
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S") + (f"-{args.tag}" if args.tag else "")
    (args.results_dir / f"http-bench-{stamp}.md").write_text(md + "\n", encoding="utf-8")
    (args.results_dir / f"http-bench-{stamp}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(md)
    say(f"written: {args.results_dir / f'http-bench-{stamp}.md'} (+ .json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
