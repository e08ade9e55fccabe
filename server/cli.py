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


def _open(data_dir: Path):
    try:
        return stores.current(data_dir).open_store()
    except stores.StoreError as e:
        raise click.ClickException(str(e)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
