"""Entity pages: every ``/id/...`` IRI dereferences (HTML, Turtle, JSON-LD, N-Triples)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("entities", __name__)
