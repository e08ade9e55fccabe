"""Saved queries as pages (``/queries/NAME``) and as an API (``/api/queries/NAME``, ``/api/openapi.json``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("queries_web", __name__)
