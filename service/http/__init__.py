"""HTTP: the FastAPI app (``app``), its JSON API, pages, admin routes, request and response
schemas, error responses and telemetry. The only package that imports a web framework."""
