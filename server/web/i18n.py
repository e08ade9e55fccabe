"""German and English pages: the language comes from ``?lang=``, then a cookie, then ``Accept-Language``.

Templates call ``t("Deutsch", "English")``; ``lang`` is the current language.
"""

from __future__ import annotations

from flask import Response, g, request

LANGS = ("de", "en")
COOKIE = "ruhrkg_lang"


def current_lang() -> str:
    if "lang" not in g:
        chosen = request.args.get("lang") or request.cookies.get(COOKIE)
        g.lang = chosen if chosen in LANGS else request.accept_languages.best_match(LANGS, default="de")
    return g.lang


def t(de: str, en: str) -> str:
    """The text in the current language."""
    return de if current_lang() == "de" else en


def remember_choice(resp: Response) -> Response:
    """Keep an explicit ``?lang=`` choice in a cookie for the next pages."""
    chosen = request.args.get("lang")
    if chosen in LANGS and request.cookies.get(COOKIE) != chosen:
        resp.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return resp


def template_globals() -> dict:
    return {"t": t, "lang": current_lang(), "lang_url": lang_url}


def lang_url(code: str) -> str:
    """The current URL with ``lang=code``, keeping every other parameter (the language switch)."""
    from urllib.parse import urlencode

    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", code)]
    return f"{request.path}?{urlencode(args)}"
