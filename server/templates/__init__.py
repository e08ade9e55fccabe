"""Jinja templates of the web pages (specific to generic; partials start with _)."""
