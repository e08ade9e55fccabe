"""Run the app under granian, a production HTTP server written in Rust.

granian was chosen by measurement (bench/http_bench.py): with its WSGI
interface it kept connections alive and served the same Flask app at several
times the requests/s of gunicorn's sync workers on this 2-core machine, and
above Oxigraph's own server for cached results. Settings reach the app in each
worker process through ``RUHRKG_*`` variables, read by ``create_app()``.
"""

from __future__ import annotations

import os
import socket

from granian import Granian
from granian.constants import Interfaces
from granian.http import HTTP1Settings

TARGET = "ruhrkg.server.app:create_app"


def run(*, host: str, port: int, http_workers: int, threads: int, env: dict[str, str]) -> None:
    """Serve until SIGINT/SIGTERM. Raises OSError if the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:  # fail early, with a clear message, if the port is taken
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    os.environ.update(env)
    Granian(
        TARGET,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        factory=True,
        workers=http_workers,
        blocking_threads=threads,
        backlog=2048,
        http1_settings=HTTP1Settings(max_buffer_size=1_200_000),
        respawn_failed_workers=True,
        log_access=False,  # the app writes its own structured access log
    ).serve()
