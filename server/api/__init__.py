"""Machine APIs: the saved-query API and what it shares with the saved-query pages (:mod:`.saved`), the
reconciliation service (OpenRefine), the OpenAPI description."""
