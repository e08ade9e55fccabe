"""The ``ruhrkg`` command line.

Every command reports bad input with a one-line message and a non-zero exit
status, never with a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ruhrkg.graph import build as building
from ruhrkg.graph import export as exporting
from ruhrkg.graph import query as querying
from ruhrkg.graph import saved
from ruhrkg.graph import store as stores

DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RUHRKG_DATA_DIR",
    default=stores.DEFAULT_DATA_DIR,
    show_default=True,
    help="Directory that holds the builds (env: RUHRKG_DATA_DIR).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(building.package_version(), prog_name="ruhrkg")
def main() -> None:
    """ruhrkg: the knowledge graph of the Ruhr-Konferenz (NRW, 2018-2019).

    Build the graph from the "Steckbriefe der 20 Themenforen", query it and
    export it.
    """


@main.command()
@DATA_DIR
@click.option(
    "--source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Steckbriefe text to build from (default: the copy shipped with ruhrkg).",
)
@click.option(
    "--strict", is_flag=True, help="Fail (and keep the previous build) if the parser reports uninterpreted text."
)
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
def build(data_dir: Path, source: Path | None, strict: bool, quiet: bool) -> None:
    """Parse, map, validate (SHACL), reason (OWL-RL) and load the graph.

    The new store replaces the current one atomically: a failed or killed
    build leaves the previous build in place and usable.
    """
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    try:
        result = building.build(source=source, data_dir=data_dir, progress=say, strict=strict)
    except (building.BuildError, stores.StoreError) as e:
        raise click.ClickException(f"build failed; the previous build (if any) is unchanged.\n{e}") from None
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    m = result.build.manifest
    if not quiet:
        counts = ", ".join(f"{v} {k}" for k, v in m["counts"].items())
        click.echo(f"built {m['version']} in {sum(result.timings.values()):.2f} s: {counts}", err=True)
        click.echo(f"store: {result.build.store_path}", err=True)


@main.command()
@DATA_DIR
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(exporting.ExportFormat.names()),
    default="turtle",
    show_default=True,
    help="Serialisation.",
)
@click.option(
    "-g",
    "--graphs",
    type=click.Choice([s.value for s in exporting.Selection]),
    default="data",
    show_default=True,
    help="'data': the asserted facts; 'all': data, ontology and inferred triples "
    "(merged in triple formats, named graphs in N-Quads/TriG).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
def export(data_dir: Path, fmt: str, graphs: str, output: Path | None) -> None:
    """Write the graph as Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML.

    Output is sorted, so exports of the same build are identical and diffs
    between builds are small.
    """
    st = _open(data_dir)
    data = exporting.serialize(st, exporting.ExportFormat.named(fmt), exporting.Selection(graphs))
    if output:
        tmp = output.with_name(f".{output.name}.partial")
        try:
            tmp.write_bytes(data)
            tmp.replace(output)
        except OSError as e:
            raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from None
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@DATA_DIR
@click.argument("query", required=False)
@click.option("-n", "--name", help="Run the saved query NAME (see --list).")
@click.option(
    "-i", "--file", "file", type=click.File("r", encoding="utf-8"), help="Read the query from a file ('-' for stdin)."
)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a saved query's parameter.")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(querying.OUTPUT_FORMATS),
    default="table",
    show_default=True,
    help="Output for SELECT/ASK; CONSTRUCT/DESCRIBE print Turtle unless another RDF format is chosen.",
)
@click.option(
    "--graph",
    "graph",
    type=click.Choice(querying.DATASETS),
    default="default",
    show_default=True,
    help="Default graph of the query: data+ontology ('default'), 'inferred' (data+ontology+inferred) or 'union' (every graph).",
)
@click.option("--list", "list_", is_flag=True, help="List the saved queries and exit.")
def query(data_dir, query, name, file, params, fmt, graph, list_) -> None:
    """Run a SPARQL query, or a saved query, against the store.

    \b
    Examples:
      ruhrkg query 'SELECT * WHERE { ?s ?p ?o } LIMIT 5'
      ruhrkg query -n forums -f csv
      ruhrkg query --list
    """
    if list_:
        for q in saved.load_all():
            click.echo(f"{q.name:28} {q.summary['en']}")
        return
    given = [x for x in (query, name, file) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of: a QUERY argument, --name NAME, --file FILE")
    try:
        bindings = querying.parse_params(params)
        if name:
            q = saved.load(name)
            text, substitutions = q.text, querying.substitutions(q, bindings)
        else:
            if bindings:
                raise click.UsageError("--param only applies to saved queries (--name)")
            text, substitutions = (file.read() if file else query), {}
        st = _open(data_dir)
        out = querying.run(st, text, substitutions=substitutions, dataset=graph, output=fmt)
    except (saved.SavedQueryError, querying.QueryError) as e:
        raise click.ClickException(str(e)) from None
    sys.stdout.buffer.write(out)
    sys.stdout.flush()


@main.command()
@DATA_DIR
@click.option(
    "--host", envvar="RUHRKG_HOST", default="127.0.0.1", show_default=True, help="Address to bind (env: RUHRKG_HOST)."
)
@click.option("--port", envvar="RUHRKG_PORT", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port (env: RUHRKG_PORT).")  # fmt: skip
@click.option("--workers", envvar="RUHRKG_WEB_WORKERS", type=click.IntRange(1, 64), default=2, show_default=True,
              help="HTTP worker processes (env: RUHRKG_WEB_WORKERS).")  # fmt: skip
@click.option("--threads", envvar="RUHRKG_THREADS", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Request threads per HTTP worker (env: RUHRKG_THREADS).")  # fmt: skip
@click.option("--query-workers", envvar="RUHRKG_WORKERS", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Query worker processes per HTTP worker; each runs one query at a time (env: RUHRKG_WORKERS).")  # fmt: skip
@click.option("--timeout", envvar="RUHRKG_QUERY_TIMEOUT", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True,
              help="Seconds a query may run before it is killed (env: RUHRKG_QUERY_TIMEOUT).")  # fmt: skip
@click.option("--memory-limit", envvar="RUHRKG_MEMORY_LIMIT_MB", type=click.IntRange(256, 1_000_000), default=1024,
              show_default=True, help="Address space of a query worker, in MB (env: RUHRKG_MEMORY_LIMIT_MB).")  # fmt: skip
@click.option("--allow-service", "allow_service", multiple=True, metavar="URL",
              help="A SERVICE endpoint queries may call; repeat for several (default: Wikidata's query service; "
              "env: RUHRKG_SERVICE_ALLOWLIST, comma-separated).")  # fmt: skip
def serve(data_dir, host, port, workers, threads, query_workers, timeout, memory_limit, allow_service) -> None:
    """Serve the graph: SPARQL endpoint, descriptions and downloads.

    Builds the graph first if there is none. Runs under granian, a production
    HTTP server; every setting can also come from a RUHRKG_* variable.
    """
    from ruhrkg.server.serve import run

    if not stores.has_build(data_dir):
        click.echo(f"no graph in {data_dir} yet: building it first", err=True)
        try:
            building.build(data_dir=data_dir, progress=lambda m: click.echo(m, err=True))
        except (building.BuildError, stores.StoreError) as e:
            raise click.ClickException(f"build failed:\n{e}") from None
    env = {
        "RUHRKG_DATA_DIR": str(stores.data_dir(data_dir)),
        "RUHRKG_WORKERS": str(query_workers),
        "RUHRKG_QUERY_TIMEOUT": str(timeout),
        "RUHRKG_MEMORY_LIMIT_MB": str(memory_limit),
        "RUHRKG_WARM_UP": "1",
    }
    if allow_service:
        env["RUHRKG_SERVICE_ALLOWLIST"] = ",".join(allow_service)
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    for path, what in (("/", "home"), ("/sparql", "SPARQL endpoint"), ("/.well-known/void", "VoID / DCAT"),
                       ("/downloads/", "downloads")):  # fmt: skip
        click.echo(f"  {what:16} {base}{path}", err=True)
    try:
        run(host=host, port=port, workers=workers, threads=threads, env=env)
    except OSError as e:
        raise click.ClickException(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


def _open(data_dir: Path):
    try:
        return stores.current(data_dir).open_store()
    except stores.StoreError as e:
        raise click.ClickException(str(e)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
