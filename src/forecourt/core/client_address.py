"""The address of the client that made a request: the one place every per-address limit asks.

Behind a reverse proxy the TCP peer is the proxy, and the client's own address is in `X-Forwarded-For`.
That header is written by whoever sends the request, so it is believed only when the peer is one of
`FORECOURT_TRUSTED_PROXIES` (`core.settings.parse_trusted_proxies`; default: none, so no forwarded header is believed). uvicorn's
`ProxyHeadersMiddleware` does the reading (right to left, skipping trusted hops) and rewrites the request's
client and scheme; the app installs it itself, so the rule holds under any ASGI server and in tests, and
`forecourt serve` hands uvicorn the same list so that uvicorn's own default (trust 127.0.0.1) never applies.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def install_proxy_headers(app: FastAPI, trusted_proxies: list[str]) -> None:
    """Believe X-Forwarded-For/-Proto from these peers only; call it last, so it wraps every other middleware."""
    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)


def client_ip(request: Request) -> str:
    """The client's address ("" when the server gives none, e.g. a Unix socket without a proxy)."""
    return request.client.host if request.client else ""
