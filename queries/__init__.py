"""Saved SPARQL queries, one ``.rq`` file each with a ``#+`` YAML header."""
