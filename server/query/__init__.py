"""Checking and running SPARQL queries, below HTTP.

- :mod:`.errors`: the errors every engine raises, each with its HTTP status;
- :mod:`.lexer`: the SPARQL lexer and the one pre-check every query passes (the security boundary);
- :mod:`.service`: :class:`~.service.QueryService`, the one entry point: it checks a query, then hands it
  to an engine;
- :mod:`.pool` and :mod:`.worker`: the embedded engine, a bounded pool of killable pyoxigraph worker
  processes that talk to the web process over pipes (nothing listens on a port);
- :mod:`.remote`: the remote engine, a SPARQL 1.1 store over HTTP.
"""
