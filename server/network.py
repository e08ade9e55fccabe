"""The ministry co-participation network (and persons-forums), its downloads, and the YASGUI query editor."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("network", __name__)
