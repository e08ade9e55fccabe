"""``/favicon.ico``: the site's icon, where browsers look for it on every page (the pages also link it)."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("favicon", __name__)


@bp.route("/favicon.ico")
def favicon():
    """The icon (32×32, PNG in an ICO container); ``/static/favicon.svg`` is its scalable twin."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )
