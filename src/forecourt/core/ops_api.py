"""Endpoints for the machines that run Forecourt: liveness, readiness, and Prometheus metrics.

`/metrics` tells whoever reads it how busy the shop is, where its routes are and how its outbox fares, so it is
not public. With `FORECOURT_METRICS_TOKEN` set it needs that token as a Bearer credential (a wrong or missing one
is a 401, so a misconfigured scraper says why). Without a token only a loopback client may read it: the TCP peer
must be 127.0.0.1 or ::1 and the request must carry no forwarding header, because a reverse proxy on the same
host connects from loopback on behalf of anyone on the internet. Anyone else gets the 404 of an unknown path:
the endpoint is not offered to them at all, and a 403 would tell a scanner that it exists.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from forecourt.core import metrics
from forecourt.core.http import problem

router = APIRouter(tags=["ops"])
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
READY_EXAMPLE = {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "broker": "off"}}


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up and serving; it asks nothing of the database (see /readyz)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    responses={
        200: {"description": "Ready: every check passed", "content": {"application/json": {"example": READY_EXAMPLE}}},
        503: {"description": "Not ready (`not_ready`): `checks` names the failing check"},
    },
)
def readyz(request: Request) -> JSONResponse:
    """Whether this process should be sent traffic: the database answers, its schema is at the code's head
    revision, and the MQTT broker accepts connections when telematics is on."""
    checks = request.app.state.readiness.run()
    states = {check.name: check.state for check in checks}
    failing = [f"{check.name} {check.state}" for check in checks if not check.ok]
    if failing:
        return problem(503, "not_ready", "Not ready", "Not ready: " + "; ".join(failing) + ".", checks=states)
    return JSONResponse({"status": "ready", "checks": states})


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(request: Request) -> Response:
    """The Prometheus text exposition (not part of the API: documented in docs/production.md)."""
    token = request.app.state.settings.metrics_token.get_secret_value()
    if token:
        if not _bearer_matches(request, token):
            response = problem(401, "invalid_token", "Not authenticated", "/metrics needs its Bearer token.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not from_loopback(request):
        raise HTTPException(404)
    return Response(metrics.exposition(request.app.state.live_metrics), media_type=metrics.CONTENT_TYPE)


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest: the time taken does not tell how much of a guess was right
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def from_loopback(request: Request) -> bool:
    """The TCP peer is this host and no proxy relayed the request."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:  # no peer, a Unix socket, or a test client's made-up host name
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
