"""The SPARQL queries the code runs (pages, entity pages, networks, reconciliation): ``.rq`` files with a ``#+``
YAML header like the saved queries, loaded by :func:`ruhrkg.graph.saved.internal`. Not the public list of saved
queries (``queries/``): these are not offered at ``/queries``."""
