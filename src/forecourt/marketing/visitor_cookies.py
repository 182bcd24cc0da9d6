"""How a browser proves which visitor it is: a server-issued visitor id and an HttpOnly proof of it.

The visitor id is not a secret: it travels in every tracker event, is stored with each event and lead, and
marketers export it. So knowing an id must not let anyone act as that visitor (decline their consent and so
delete their events, or have their history stitched to another account). The server therefore issues the id
when a visitor first accepts tracking, together with `fc_vid_proof` = HMAC-SHA256(secret key, id): HttpOnly
(scripts, including the tracker, cannot read it), SameSite=Strict, Secure over HTTPS, never stored or logged.
Only a request carrying the proof of an id speaks for that visitor. `fc_vid` stays readable by the tracker,
which puts the id into event bodies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from forecourt.core.http import app_secret
from forecourt.marketing.visitors import CONSENT_COOKIE, COOKIE, COOKIE_MAX_AGE, is_visitor_id, new_visitor_id

__all__ = ["CONSENT_COOKIE", "COOKIE", "PROOF_COOKIE", "issue", "proven_visitor_id"]

PROOF_COOKIE = "fc_vid_proof"
_PURPOSE = b"forecourt visitor id\x00"  # keeps this MAC apart from any other use of the secret key


def _proof(request: Request, visitor_id: str) -> str:
    key = app_secret(request).encode()
    mac = hmac.new(key, _PURPOSE + visitor_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def proven_visitor_id(request: Request) -> str | None:
    """The `fc_vid` of this browser when its proof cookie vouches for it, else None (missing, tampered, or an id
    the browser made up itself, as the tracker did before ids were issued by the server)."""
    visitor_id, proof = request.cookies.get(COOKIE), request.cookies.get(PROOF_COOKIE)
    if not is_visitor_id(visitor_id) or not proof:
        return None
    assert visitor_id is not None
    return visitor_id if hmac.compare_digest(proof.encode(), _proof(request, visitor_id).encode()) else None


def issue(request: Request, response: Response) -> str:
    """A new visitor id for this browser, with its proof; returns the id."""
    visitor_id = new_visitor_id()
    secure = request.url.scheme == "https"
    response.set_cookie(COOKIE, visitor_id, max_age=COOKIE_MAX_AGE, path="/", secure=secure, samesite="lax")
    response.set_cookie(
        PROOF_COOKIE,
        _proof(request, visitor_id),
        max_age=COOKIE_MAX_AGE,
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    return visitor_id
