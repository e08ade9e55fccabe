"""Machine APIs: the saved-query API, the reconciliation service (OpenRefine), the OpenAPI description."""
