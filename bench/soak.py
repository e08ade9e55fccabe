#!/usr/bin/env python3
"""Soak run of ``ruhrkg serve``: a minute (``--seconds``) of cached and uncacheable queries at concurrency 32.

The test suite runs the same load for 3 seconds (tests/test_server_integration.py, whose ``load()`` this script
uses); this is the long run, which belongs here and not in the suite. It starts ``ruhrkg serve`` on a free
loopback port over the current build, drives it, prints the requests/s and every wrong answer or error, and
exits 1 if there was any.

    python bench/soak.py --data-dir ruhrkg-data --seconds 60
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load_function():
    spec = importlib.util.spec_from_file_location("server_integration", HERE.parent / "tests" / "test_server_integration.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default="ruhrkg-data", help="directory with a build (default: %(default)s)")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the run (default: %(default)s)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent connections (default: %(default)s)")
    ap.add_argument("--serve-args", default="", help="more arguments for ruhrkg serve")
    args = ap.parse_args(argv)
    if not (Path(args.data_dir) / "current").exists():
        sys.exit(f"no build in {args.data_dir}: run `ruhrkg build --data-dir {args.data_dir}` first")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ruhrkg = str(Path(sys.executable).parent / "ruhrkg")
    proc = subprocess.Popen([ruhrkg, "serve", "--data-dir", args.data_dir, "--port", str(port), *args.serve_args.split()])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/sparql?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit("ruhrkg serve did not start")
                time.sleep(0.2)
        answered, errors = _load_function()(base, args.seconds, args.clients)
    finally:
        proc.terminate()
        proc.wait(20)
    print(f"{answered} answers in {args.seconds:g} s at concurrency {args.clients}: {answered / args.seconds:.0f}/s")
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
