"""Security headers on every response: pages, errors, JSON, static files and downloads.

- ``Content-Security-Policy``: scripts, styles and images from this site only; no inline script
  or style (templates use classes from ``app.css`` and code in ``static/js``), no plugins, no
  framing, forms post here only. Evidence downloads also get ``sandbox``: a file a browser
  opens anyway runs no script and reaches nothing of the site.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (addresses of other
  countries' objects never leave the site), ``X-Frame-Options: DENY`` for old browsers.
- ``Strict-Transport-Security`` in production only (``APP_ENV=production``, behind TLS).

The application sends no ``Server`` header. gunicorn adds ``Server: gunicorn`` without a version
(since gunicorn 20; a test checks it); the reverse proxy may drop it too. Werkzeug's development
server names its version, but it is not for production.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # data: for Bootstrap's icons (select arrow, ticks, menu button)
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: Endpoints that send user-supplied files: the browser must treat them as untrusted.
DOWNLOAD_ENDPOINTS = frozenset({"assessments.download_evidence", "api.download_evidence"})

#: Two years, the usual value for HSTS preload lists.
HSTS = "max-age=63072000; includeSubDomains"


def register(app: Flask) -> None:
    """Add the security headers to every response of ``app``."""
    production = app.config["APP_ENV"] == "production"

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.endpoint in DOWNLOAD_ENDPOINTS:
            headers.add("Content-Security-Policy", "sandbox")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        headers.remove("Server")
        return response
