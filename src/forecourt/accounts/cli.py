"""`forecourt users create-admin|create-staff` and `forecourt tokens create`."""

from __future__ import annotations

from typing import Annotated

import typer

from forecourt.accounts import api_tokens, identifiers, repository, service
from forecourt.accounts.principal import Role, RoleGrant
from forecourt.catalog import service as catalog
from forecourt.core.db import make_engine, make_session_factory, transaction
from forecourt.core.errors import DomainError
from forecourt.core.settings import get_settings

users_app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)

EmailOption = Annotated[str, typer.Option("--email", help="The user's email address")]
PasswordOption = Annotated[
    str | None, typer.Option("--password", help="Password (10-128 characters); prompted for when omitted")
]


def _factory():  # noqa: ANN202 - a sessionmaker
    return make_session_factory(make_engine(get_settings().database_url))


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _create(email: str, password: str | None, grants: list[RoleGrant], what: str) -> None:
    try:
        with transaction(_factory()) as session:
            user = repository.get_user_by_email(session, identifiers.normalise_email(email))
            if user is None:
                user = service.create_user(session, email=email, password=_password(password), grants=grants)
                verb = "created"
            else:  # re-running adds the roles: handy for giving an existing user another store
                for grant in grants:
                    service.grant_role(session, user, grant.role, grant.store_id, actor=None)
                verb = "updated"
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{what} {user.email} {verb} (user id {user.id})")


@users_app.command("create-admin")
def create_admin(email: EmailOption, password: PasswordOption = None) -> None:
    """Create an administrator (or give an existing user the admin role)."""
    _create(email, password, [RoleGrant(Role.ADMIN)], "admin")


@users_app.command("create-staff")
def create_staff(
    email: EmailOption,
    store: Annotated[list[str], typer.Option("--store", help="Store code; repeat for several stores")],
    password: PasswordOption = None,
) -> None:
    """Create a store staff member for one or more stores."""
    try:
        with transaction(_factory()) as session:
            store_ids = [catalog.get_store(session, code.strip().lower()).id for code in store]
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    _create(email, password, [RoleGrant(Role.STORE_STAFF, s) for s in store_ids], f"staff of {', '.join(store)}:")


@tokens_app.command("create")
def create_token(
    email: EmailOption, name: Annotated[str, typer.Option("--name", help="What the token is for")]
) -> None:
    """Create a personal API token for a user and print its secret (shown this once only)."""
    try:
        with transaction(_factory()) as session:
            user = repository.get_user_by_email(session, identifiers.normalise_email(email))
            if user is None:
                raise DomainError(f"no user with email {email}", code="user_not_found")
            token, secret = api_tokens.create_api_token(session, user.id, name)
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"token {token.name!r} (id {token.id}) for {user.email}:")
    typer.echo(secret)
    typer.echo("Store it now; it cannot be shown again. Use it as `Authorization: Bearer <token>`.", err=True)
