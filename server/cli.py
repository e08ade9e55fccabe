"""The ``ruhrkg`` command line.

Every command reports bad input with a one-line message and a non-zero exit
status, never with a traceback.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from ruhrkg.graph import build as building
from ruhrkg.graph import export as exporting
from ruhrkg.graph import linking, quickstatements, remote, saved, wikidata
from ruhrkg.graph import query as querying
from ruhrkg.graph import store as stores
from ruhrkg.mappings import links as links_table

DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RUHRKG_DATA_DIR",
    default=stores.DEFAULT_DATA_DIR,
    show_default=True,
    help="Directory that holds the builds (env: RUHRKG_DATA_DIR).",
)


def store_options(f):
    """``--store``, ``--store-query``, ``--store-update``, ``--store-gsp`` (and their RUHRKG_* variables)."""
    options = [
        click.option("--store", envvar="RUHRKG_STORE", metavar="[FLAVOUR+]URL",
                     help="A remote SPARQL 1.1 store: http://host:7878 (Oxigraph server), fuseki+URL-of-dataset, "
                     "virtuoso+http://host:8890, graphdb+URL-of-repository; credentials for publishing as "
                     "user:password@ in the URL or RUHRKG_STORE_USER/RUHRKG_STORE_PASSWORD, never sent with a "
                     "query (env: RUHRKG_STORE)."),
        click.option("--store-query", envvar="RUHRKG_STORE_QUERY", metavar="URL",
                     help="The store's query endpoint, if not what --store implies (env: RUHRKG_STORE_QUERY)."),
        click.option("--store-update", envvar="RUHRKG_STORE_UPDATE", metavar="URL",
                     help="The store's update endpoint (env: RUHRKG_STORE_UPDATE)."),
        click.option("--store-gsp", envvar="RUHRKG_STORE_GSP", metavar="URL",
                     help="The store's Graph Store Protocol endpoint; 'none': upload with SPARQL Update "
                     "(env: RUHRKG_STORE_GSP)."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


STORE_READ_USER = click.option(
    "--store-read-user", envvar="RUHRKG_STORE_READ_USER", metavar="USER",
    help="The user that queries the store, if it wants one (password: RUHRKG_STORE_READ_PASSWORD); queries never "
    "carry the publishing credentials (env: RUHRKG_STORE_READ_USER).",
)  # fmt: skip


def _store_spec(store, store_query, store_update, store_gsp, read_user=None):
    try:
        return remote.StoreSpec.parse(store, query=store_query, update=store_update, gsp=store_gsp,
                                      read_user=read_user or None)  # fmt: skip
    except remote.RemoteStoreError as e:
        raise click.BadParameter(str(e), param_hint="--store") from None


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
@click.option(
    "--links",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RUHRKG_LINKS",
    help="The curated Wikidata link table (default: the wikidata-links.csv shipped with ruhrkg; env: RUHRKG_LINKS).",
)
@click.option(
    "--reasoner",
    type=click.Choice(["auto", "owlrl", "rules"]),
    default="auto",
    show_default=True,
    help="OWL-RL with owlrl, or the same entailments as SPARQL rules run by Oxigraph (fast on large graphs); "
    "auto: owlrl up to 20,000 data triples.",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "rdflib", "oxigraph"]),
    default="auto",
    show_default=True,
    help="Hold the graph in rdflib (pyshacl, owlrl: the reference) or in an in-memory Oxigraph store (SHACL as "
    "SPARQL, the rule reasoner: for documents of millions of triples); auto: rdflib up to 20,000 data triples.",
)
@click.option(
    "--gazetteer",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A YAML file of further places and organisations, added to the packaged gazetteer.",
)
@store_options
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
def build(data_dir: Path, source: Path | None, strict: bool, links: Path | None, reasoner: str, engine: str,
          gazetteer: Path | None, store, store_query, store_update, store_gsp, quiet: bool) -> None:  # fmt: skip
    """Parse, map, validate (SHACL), reason (OWL-RL) and load the graph.

    The new store replaces the current one atomically: a failed or killed
    build leaves the previous build in place and usable. With --store, the
    graphs are also published into a remote SPARQL store (uploaded under
    staging names, then switched in one update and their sizes checked); if
    that fails, the remote store and the local build both stay as they were.
    The dataset description names the publisher and contact point of
    RUHRKG_PUBLISHER_NAME, _URL and RUHRKG_CONTACT_NAME, _EMAIL, _URL.
    """
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    spec = _store_spec(store, store_query, store_update, store_gsp)
    try:
        result = building.build(source=source, data_dir=data_dir, progress=say, strict=strict, links=links,
                                reasoner=reasoner, gazetteer=gazetteer, engine=engine,
                                remote_store=spec)  # fmt: skip
    except (building.BuildError, stores.StoreError) as e:
        raise click.ClickException(f"build failed; the previous build (if any) is unchanged.\n{e}") from None
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    m = result.build.manifest
    if not quiet:
        counts = ", ".join(f"{v} {k}" for k, v in m["counts"].items())
        click.echo(f"built {m['version']} in {sum(result.timings.values()):.2f} s: {counts}", err=True)
        click.echo(f"store: {result.build.store_path}", err=True)
        if "store" in m:
            click.echo(f"remote store: {m['store']['query']} ({m['store']['method']})", err=True)


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
    help="'data': the asserted facts; 'all': data, ontology, inferred triples and Wikidata links "
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
    _emit(exporting.serialize(st, exporting.ExportFormat.named(fmt), exporting.Selection(graphs)), output)


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
@click.option("--http-workers", envvar="RUHRKG_HTTP_WORKERS", type=click.IntRange(1, 64), default=2, show_default=True,
              help="HTTP worker processes (env: RUHRKG_HTTP_WORKERS).")  # fmt: skip
@click.option("--threads", envvar="RUHRKG_THREADS", type=click.IntRange(1, 256), default=4, show_default=True,
              help="Request threads per HTTP worker: more let cached answers through while every query worker is "
              "busy, fewer contend less for Python's interpreter lock (env: RUHRKG_THREADS).")  # fmt: skip
@click.option("--query-workers", envvar="RUHRKG_QUERY_WORKERS", type=click.IntRange(0, 64), default=0,
              show_default="as many as --threads, within --query-memory-total",
              help="Query worker processes per HTTP worker; each runs one query at a time; not used with --store "
              "(env: RUHRKG_QUERY_WORKERS).")  # fmt: skip
@click.option("--timeout", envvar="RUHRKG_QUERY_TIMEOUT", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True,
              help="Seconds a query may run before it is killed; with --store, how long we wait for the store "
              "(env: RUHRKG_QUERY_TIMEOUT).")  # fmt: skip
@click.option("--query-memory", envvar="RUHRKG_QUERY_MEMORY_MB", type=click.IntRange(256, 1_000_000), default=512,
              show_default=True, help="Address space of one query worker, in MB; not used with --store "
              "(env: RUHRKG_QUERY_MEMORY_MB).")  # fmt: skip
@click.option("--query-memory-total", envvar="RUHRKG_QUERY_MEMORY_TOTAL_MB", type=click.IntRange(256, 10_000_000),
              default=4096, show_default=True,
              help="Address space of all query workers of the server together, in MB: --http-workers x query "
              "workers x --query-memory never exceeds it (env: RUHRKG_QUERY_MEMORY_TOTAL_MB).")  # fmt: skip
@click.option("--public-url", envvar="RUHRKG_PUBLIC_URL", metavar="URL",
              help="The server's public URL, e.g. https://ruhrkg.example.org: the base of relative IRIs in queries "
              "and of links in descriptions, whatever Host a client sends (default: the request's host; "
              "env: RUHRKG_PUBLIC_URL).")  # fmt: skip
@click.option("--allow-service", "allow_service", multiple=True, metavar="URL",
              help="A SERVICE endpoint queries may call; repeat for several (default: Wikidata's query service; "
              "env: RUHRKG_SERVICE_ALLOWLIST, comma-separated).")  # fmt: skip
@click.option("--wikidata-sparql", envvar="RUHRKG_WIKIDATA_SPARQL", metavar="URL",
              help="Send SERVICE <https://query.wikidata.org/sparql> to this URL instead, e.g. a mirror "
              "(env: RUHRKG_WIKIDATA_SPARQL).")  # fmt: skip
@store_options
@STORE_READ_USER
def serve(data_dir, host, port, http_workers, threads, query_workers, timeout, query_memory, query_memory_total,
          public_url, allow_service, wikidata_sparql, store, store_query, store_update, store_gsp,
          store_read_user) -> None:  # fmt: skip
    """Serve the graph: SPARQL endpoint, descriptions and downloads.

    Builds the graph first if there is none. Runs under granian, a production
    HTTP server; every setting can also come from a RUHRKG_* variable. With
    --store, queries go to that SPARQL store instead of the query workers,
    behind the same checks (no Update, SERVICE only to allowed endpoints) and
    the same --timeout (how long we wait: the store's own limit stops its
    work); --query-workers and the memory options then do not apply.
    Queries carry the --store-read-user credentials, or none: the publishing
    credentials (URL user-info, RUHRKG_STORE_USER/RUHRKG_STORE_PASSWORD) are
    used for the first build only and do not reach the HTTP workers.
    """
    from ruhrkg.server.config import Settings, SettingsError
    from ruhrkg.server.serve import run

    try:
        Settings(http_workers=http_workers, threads=threads, query_workers=query_workers, query_memory_mb=query_memory,
                 query_memory_total_mb=query_memory_total).query_workers_per_http_worker()  # fmt: skip
    except SettingsError as e:
        raise click.UsageError(str(e)) from None
    spec = _store_spec(store, store_query, store_update, store_gsp, store_read_user)
    if not stores.has_build(data_dir):
        click.echo(f"no graph in {data_dir} yet: building it first", err=True)
        try:
            building.build(data_dir=data_dir, progress=lambda m: click.echo(m, err=True), remote_store=spec)
        except (building.BuildError, stores.StoreError) as e:
            raise click.ClickException(f"build failed:\n{e}") from None
    env = {
        "RUHRKG_DATA_DIR": str(stores.data_dir(data_dir)),
        "RUHRKG_HTTP_WORKERS": str(http_workers),
        "RUHRKG_THREADS": str(threads),
        "RUHRKG_QUERY_WORKERS": str(query_workers),
        "RUHRKG_QUERY_TIMEOUT": str(timeout),
        "RUHRKG_QUERY_MEMORY_MB": str(query_memory),
        "RUHRKG_QUERY_MEMORY_TOTAL_MB": str(query_memory_total),
        "RUHRKG_WARM_UP": "1",
    }
    if public_url:
        env["RUHRKG_PUBLIC_URL"] = public_url
    if allow_service:
        env["RUHRKG_SERVICE_ALLOWLIST"] = ",".join(allow_service)
    if wikidata_sparql:
        env["RUHRKG_WIKIDATA_SPARQL"] = wikidata_sparql
    for name, value in (("STORE", store), ("STORE_QUERY", store_query)):
        if value:
            env[f"RUHRKG_{name}"] = remote.without_user_info(value)
    if store_read_user:
        env["RUHRKG_STORE_READ_USER"] = store_read_user
    for name in ("RUHRKG_STORE_USER", "RUHRKG_STORE_PASSWORD", "RUHRKG_STORE_UPDATE", "RUHRKG_STORE_GSP"):
        os.environ.pop(name, None)  # publishing only: the HTTP workers never see them
    if spec is not None:
        click.echo(f"  queries answered by the SPARQL store at {spec.query}", err=True)
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    for path, what in (("/", "home"), ("/sparql", "SPARQL endpoint"), ("/.well-known/void", "VoID / DCAT"),
                       ("/downloads/", "downloads")):  # fmt: skip
        click.echo(f"  {what:16} {base}{path}", err=True)
    try:
        run(host=host, port=port, http_workers=http_workers, threads=threads, env=env)
    except OSError as e:
        raise click.ClickException(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


@main.group()
def link() -> None:
    """Links to Wikidata: find candidates, apply a review, export to QuickStatements.

    \b
    The curated table (mappings/wikidata-links.csv in a checkout) is the
    source of truth; `ruhrkg build` maps it into the links graph.
      ruhrkg link wikidata -o review.csv      # candidates for unlinked entities
      (edit review.csv: decision = accept / reject)
      ruhrkg link apply review.csv --reviewer "Your Name"
      ruhrkg build                            # publish the new links
    """


WIKIDATA_SPARQL_OPTION = click.option(
    "--sparql-url", envvar="RUHRKG_WIKIDATA_SPARQL", default=wikidata.WIKIDATA_SPARQL, show_default=True,
    help="Wikidata's SPARQL endpoint, or a stand-in (env: RUHRKG_WIKIDATA_SPARQL).",
)  # fmt: skip
TABLE_OPTION = click.option(
    "--table", type=click.Path(dir_okay=False, path_type=Path), envvar="RUHRKG_LINKS",
    help="The curated link table (default: the wikidata-links.csv shipped with ruhrkg; env: RUHRKG_LINKS).",
)  # fmt: skip


@link.command("wikidata")
@DATA_DIR
@WIKIDATA_SPARQL_OPTION
@TABLE_OPTION
@click.option("--api-url", envvar="RUHRKG_WIKIDATA_API", default=wikidata.WIKIDATA_API, show_default=True,
              help="Wikidata's search API (wbsearchentities), or a stand-in (env: RUHRKG_WIKIDATA_API).")  # fmt: skip
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(linking.KINDS)),
              help="Only entities of this kind; repeat for several (default: all).")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("wikidata-review.csv"),
              show_default=True, help="The review file to write.")  # fmt: skip
@click.option("--interval", type=click.FloatRange(0, 60), default=1.0, show_default=True,
              help="Seconds between two requests (be polite to Wikidata).")  # fmt: skip
@click.option("--retries", type=click.IntRange(0, 10), default=4, show_default=True,
              help="Retries of a failed request, with back-off.")  # fmt: skip
@click.option("--no-auto-accept", is_flag=True, help="Leave every candidate for review, even unambiguous ones.")
@click.option(
    "--user-agent", envvar="RUHRKG_USER_AGENT", help="User-Agent header (default: ruhrkg/<version> with contact)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def link_wikidata(data_dir, sparql_url, table, api_url, kinds, output, interval, retries, no_auto_accept, user_agent,
                  quiet) -> None:  # fmt: skip
    """Find Wikidata candidates for every entity without a verified link.

    Searches Wikidata's search API by each label, checks the candidates'
    types and statements with its SPARQL endpoint, scores them and writes a
    review file (CSV, best candidate first). Unambiguous high scores are
    pre-filled with decision 'accept'; everything else is left for you.
    Exits with status 2 if some entities could not be searched.
    """
    try:
        rows = links_table.load(table)
        ents = linking.entities(_open(data_dir), rows, kinds or linking.KINDS)
    except links_table.LinkTableError as e:
        raise click.ClickException(str(e)) from None
    config = wikidata.WikidataConfig(
        sparql_url=sparql_url, api_url=api_url, user_agent=user_agent or "", min_interval=interval, retries=retries
    )
    client = wikidata.WikidataClient(config, report=lambda m: click.echo(f"\n{m}", err=True))
    click.echo(f"{len(ents)} entities without a verified link; searching {api_url}", err=True)
    with click.progressbar(length=len(ents), label="reconciling", file=sys.stderr, hidden=quiet,
                           item_show_func=lambda e: e.key if e else "") as bar:  # fmt: skip
        review, summary = linking.reconcile(
            ents, client, rows, auto_accept=not no_auto_accept, progress=lambda e: bar.update(1, e)
        )
    _write_atomically(output, linking.write_review(review).encode("utf-8"))
    click.echo(
        f"wrote {output}: {summary.with_candidates} of {summary.entities} entities have candidates, "
        f"{summary.auto_accepted} accepted automatically; {client.requests} requests, {client.retried} retries",
        err=True,
    )
    if summary.failed:
        for f in summary.failed:
            click.echo(f"failed: {f}", err=True)
        sys.exit(2)


@link.command("apply")
@click.argument("review", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@TABLE_OPTION
@click.option("--reviewer", required=True, help="Your name: recorded as the curator of every decision.")
def link_apply(review: Path, table: Path | None, reviewer: str) -> None:
    """Move the decisions of a reviewed file into the curated link table.

    'accept' makes a link verified, 'reject' records it as rejected so it is
    never proposed again; rows without a decision are skipped. The table is
    written atomically, and not at all if the review has a conflict.
    """
    path = table or links_table.packaged_table()
    try:
        counts = linking.apply_file(review, path, reviewer=reviewer)
    except (linking.ReviewError, links_table.LinkTableError) as e:
        raise click.ClickException(f"{e}\nthe link table is unchanged") from None
    except OSError as e:
        raise click.ClickException(f"cannot write {path}: {e.strerror or e}") from None
    click.echo(f"{path}: {counts['accepted']} accepted, {counts['rejected']} rejected; run `ruhrkg build` to publish",
               err=True)  # fmt: skip


@link.command("quickstatements")
@DATA_DIR
@WIKIDATA_SPARQL_OPTION
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@click.option("--conference", "conference", metavar="QID", help="Q-ID of the Ruhr-Konferenz, if it is not linked yet.")
@click.option("--main-subject", metavar="QID", help="Q-ID of the Ruhr area for P921 (default: wikidata-export.yaml).")
@click.option("--no-check", is_flag=True, help="Do not check the Q-IDs against Wikidata first (offline use).")
def link_quickstatements(data_dir, sparql_url, output, conference, main_subject, no_check) -> None:
    """Write a QuickStatements batch that creates what Wikidata lacks.

    Items for the Ruhr-Konferenz and its forums (labels, descriptions, part
    of, main subject, organizer, participants, dates, country, state), each
    statement referenced to the source document. Statements that need a Q-ID
    nobody has linked yet are listed on stderr, not guessed. Before writing,
    every Q-ID is checked against Wikidata's labels (--no-check skips that).
    """
    for value in (conference, main_subject):
        if value and not re.fullmatch(r"Q[1-9][0-9]*", value):
            raise click.BadParameter(f"{value!r} is not a Wikidata item ID such as Q2066")
    out = quickstatements.batch(_open(data_dir), conference_qid=conference, main_subject=main_subject)
    if not no_check:
        client = wikidata.WikidataClient(wikidata.WikidataConfig(sparql_url=sparql_url, min_interval=0))
        try:
            quickstatements.check(out, client)
        except quickstatements.ExportError as e:
            raise click.ClickException(str(e)) from None
    for line in out.omitted:
        click.echo(f"omitted: {line}", err=True)
    _emit(out.text.encode("utf-8"), output)
    if output:
        click.echo(f"wrote {output}: {out.text.count('CREATE')} new items, {len(out.lines)} lines", err=True)


def _emit(data: bytes, output: Path | None) -> None:
    """``data`` to ``output`` (atomically), or to standard output."""
    if output:
        _write_atomically(output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {path}: {e.strerror or e}") from None


def _open(data_dir: Path):
    try:
        return stores.current(data_dir).open_store()
    except stores.StoreError as e:
        raise click.ClickException(str(e)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
