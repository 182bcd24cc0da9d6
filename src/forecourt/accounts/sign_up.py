"""Shopper sign-up, confirmed by email or SMS, answering alike whether or not the identifier is taken.

An immediate "this address already has an account" would tell anyone which addresses have accounts. So a
sign-up with good input always answers "check your email or text messages": a free identifier gets a
single-use link (and code) that creates the account when it comes back; a taken one creates nothing and its
owner gets a notice instead. Either way one argon2 hash is computed and one message is queued, so timing
does not tell the cases apart. Messages go through the outbox (same transaction, relayed after commit).
Session first, may flush, never commits.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forecourt.accounts import repository, service
from forecourt.accounts.models import SignUpRequest, User
from forecourt.accounts.passwords import hash_password
from forecourt.accounts.principal import Role, RoleGrant
from forecourt.accounts.tokens import digest, new_secret
from forecourt.audit import service as audit
from forecourt.core import clock
from forecourt.core.errors import FieldError, InvalidInput
from forecourt.core.outbox import Channel, enqueue

SIGN_UP_LIFETIME = timedelta(hours=24)
CONFIRM_PATH = "/account/sign-up/confirm"  # the page that takes the code (accounts/pages.py)
SIGN_IN_PATH = "/account/sign-in"
RESET_PATH = "/account/password-reset"


def request_sign_up(
    session: Session,
    *,
    password: str,
    email: str | None = None,
    mobile: str | None = None,
    display_name: str = "",
    base_url: str = "",
    next_path: str = "/",
) -> None:
    """Check the input (InvalidInput for bad input only), then queue a confirmation or, for a taken identifier,
    a notice to its owner. Returns nothing: the caller's answer must not depend on which it was."""
    email_n, mobile_n = service.check_new_account(email, mobile, password)
    password_hash = hash_password(password)  # for taken identifiers too: the same work whichever way it goes
    base = base_url.rstrip("/")
    owners = service.owners_of(session, email_n, mobile_n)
    if owners:
        for owner in owners:
            _notify_owner(session, owner, email_n, mobile_n, base)
        session.flush()
        return
    now = clock.utcnow()
    secret = new_secret()
    session.add(
        SignUpRequest(
            token_hash=digest(secret),
            email=email_n,
            mobile=mobile_n,
            display_name=display_name.strip()[:80],
            password_hash=password_hash,
            created_at=now,
            expires_at=now + SIGN_UP_LIFETIME,
        )
    )
    query = {"token": secret, **({"next": next_path} if next_path != "/" else {})}
    link = f"{base}{CONFIRM_PATH}?{urlencode(query)}"
    hours = int(SIGN_UP_LIFETIME.total_seconds() // 3600)
    if email_n:
        enqueue(
            session,
            Channel.EMAIL,
            email_n,
            "Confirm your Forecourt account",
            f"To finish creating your Forecourt account, open {link} within {hours} hours.\n"
            f"Confirmation code: {secret}\n\nIf it was not you, ignore this message; no account is created.",
        )
    else:
        enqueue(
            session,
            Channel.SMS,
            mobile_n or "",
            "",
            f"【Forecourt】Sign-up code: {secret} (valid {hours} h). Ignore if not requested.",
        )
    session.flush()


def _notify_owner(session: Session, owner: User, email_n: str | None, mobile_n: str | None, base: str) -> None:
    """Tell the holder of a taken identifier that someone tried to sign up with it (on the channel it names)."""
    audit.record(session, None, "auth.sign_up_existing", "user", owner.id)
    if not owner.is_active:
        return
    if email_n and owner.email == email_n:
        enqueue(
            session,
            Channel.EMAIL,
            email_n,
            "Someone tried to sign up with your address",
            "Someone tried to create a Forecourt account with your email address, which already has one.\n\n"
            f"If it was you, sign in at {base}{SIGN_IN_PATH}, or choose a new password at {base}{RESET_PATH} if "
            "you have forgotten it.\nIf it was not you, ignore this message; nothing has changed.",
        )
    else:
        enqueue(
            session,
            Channel.SMS,
            owner.mobile or "",
            "",
            "【Forecourt】Someone tried to sign up with your number, which already has an account. "
            "If it was you, sign in or reset your password. Otherwise ignore this message.",
        )


def _invalid_code() -> InvalidInput:
    return InvalidInput(
        "This confirmation code is invalid, used or expired; sign up again",
        code="invalid_sign_up_code",
        errors=[FieldError("token", "invalid, used or expired")],
    )


def confirm_sign_up(session: Session, secret: str) -> User:
    """Create the shopper account of a sign-up request; the caller signs them in. Whoever holds the code holds
    the mailbox or phone, so the account is theirs."""
    now = clock.utcnow()
    request = repository.get_sign_up_request_by_hash(session, digest(secret)) if secret else None
    if request is None or request.used_at is not None or request.expires_at <= now:
        raise _invalid_code()
    request.used_at = now
    if service.owners_of(session, request.email, request.mobile):
        raise _invalid_code()  # another request for the same identifier was confirmed first
    try:
        with session.begin_nested():  # a concurrent confirmation of the same identifier: the unique key decides
            user = service.add_user(
                session,
                request.email,
                request.mobile,
                request.password_hash,
                request.display_name,
                grants=[RoleGrant(Role.SHOPPER)],
            )
    except IntegrityError:
        raise _invalid_code() from None
    audit.record(session, user.id, "auth.signed_up", "user", user.id)
    session.flush()
    return user
