"""Every parameter of every route, sent the extremes of its type: the answer is never a 5xx.

The routes come from the app's route table, so a route added later is swept too. Parameters are those FastAPI
declares (path, query, form; a query model's fields) and those the HTML pages read themselves from
`request.query_params` or the posted form, found by recording which keys a page looks up when it is requested
(`recorded_lookups`). Each parameter gets, one request at a time and with the others at plausible values, every
extreme of its kind (`EXTREMES`: date.min and date.max, ±14:00 offsets, 2**63, 10,000 characters, NUL, a lone
surrogate, RTL marks ...); page parameters, which are text whatever they mean, get the extremes of every kind.
Then hypothesis draws a few combinations per route from strategies that mix those extremes with ordinary values
(derandomized, so a run is repeatable). As an admin (Bearer token) and anonymously, on SQLite (every extreme) and
PostgreSQL (the extremes only a database treats differently: `DATABASE_SENSITIVE`).

`test_every_date_parameter_has_the_window` checks the shape behind it: each date or datetime a route accepts
(parameter or field of a JSON body) is one of `core.params`' windowed types.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from starlette.datastructures import ImmutableMultiDict

from forecourt.core import clock, dates
from forecourt.core.settings import Settings
from tests.factories import auth_headers, make_token, make_user
from tests.routes import iter_routes
from tests.testdrive.helpers import NOW, make_fleet

# The sharpest values of each kind; every parameter of that kind gets each of them, one request at a time.
EXTREMES: dict[str, list[str]] = {
    "date": ["0001-01-01", "9999-12-31", "9999-12-30", "2101-01-01"],
    "datetime": ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-14:00", "2026-12-07T10:00:00"],
    "time": ["24:00", "23:59:59.999999"],
    "integer": [str(2**63), str(-(2**63) - 1), "-1", "²"],
    "string": ["", "x" * 10_000, "\x00\ud800\u200f\u202eمرحبا"],  # empty; long; NUL, lone surrogate and RTL marks
}
# What only the database can refuse differently: a value that reaches a column or a comparison in SQL. PostgreSQL
# refuses a NUL in text, an integer past its column's range, a string past a VARCHAR's length and a day outside its
# own range, where SQLite stores them; the other extremes ("", -1, "²", 24:00) are refused or accepted by the
# parsing in Python before any SQL, the same on both backends, so PostgreSQL's run sends only these.
DATABASE_SENSITIVE: dict[str, list[str]] = {
    "date": EXTREMES["date"],
    "datetime": EXTREMES["datetime"],
    "time": [],
    "integer": EXTREMES["integer"][:2],
    "string": EXTREMES["string"][1:],
}
# A page reads its own parameters as text: the kind is guessed from the name, and an unknown one gets a bit of each.
PAGE_KINDS = {"from": "date", "to": "date", "date": "date", "on": "date", "licence_expiry": "date"}
PAGE_KINDS |= {"date_of_birth": "date", "valid_from": "date", "valid_to": "date", "start": "datetime"}
PAGE_KINDS |= {name: "integer" for name in ("page", "minutes", "days", "order", "term_months", "odometer_km")}
PAGE_KINDS |= {name: "integer" for name in ("energy_percent", "employment_months", "mileage_km", "buffer_minutes")}
ANY_KIND = ["9999-12-30", str(2**63), *EXTREMES["string"][1:]]
# Read by every page (the layout's language switch): swept on the first page that has it, not on each.
SHARED_PAGE_PARAMS = {"lang"}
# Plausible values, so one parameter's extreme is not hidden behind another's "missing" or "unknown".
PLAUSIBLE = {
    "date": "2026-12-02",
    "datetime": "2026-12-02T10:00:00+08:00",
    "integer": "1",
    "string": "x",
}
PLAUSIBLE_BY_NAME = {
    "model": "mondeo",
    "store": "gz-tianhe",
    "city": "guangzhou",
    "code": "gz-tianhe",
    "kind": "accompanied",
    "format": "csv",
    "from": "2026-12-02",
    "to": "2026-12-02",  # one day: the slot pages stay fast
    "reference": "ABCDEFGHJK",
    "visitor_id": "visitor-0001",
}
RANDOM_EXAMPLES = 2  # per route, on top of every extreme of every parameter
UPLOAD_FIELDS = {"file", "upload"}  # file uploads: tests of each import, and the size limits


@dataclass(frozen=True)
class Param:
    location: str  # path, query or form
    name: str
    kind: str  # a key of EXTREMES, or "any" (a page's own parameter: every kind)

    def extremes(self, *, database_sensitive_only: bool = False) -> list[str]:
        if self.kind == "any":
            return ANY_KIND
        if database_sensitive_only:
            extra = [] if self.kind == "string" else [EXTREMES["string"][-1]]
            return DATABASE_SENSITIVE[self.kind] + extra
        extra = [] if self.kind == "string" else [EXTREMES["string"][0], EXTREMES["string"][-1]]
        return EXTREMES[self.kind] + extra


# --- the route table ------------------------------------------------------------------------------------------------


def _types(annotation: object) -> Iterator[object]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _types(argument)


def _kind(annotation: object) -> str:
    found = set(_types(annotation))
    if dt.datetime in found:
        return "datetime"
    if dt.date in found:
        return "date"
    if dt.time in found:
        return "time"
    if int in found and str not in found:
        return "integer"
    return "string"


def _declared(route: APIRoute) -> list[Param]:
    params: list[Param] = []

    def walk(dependant: typing.Any) -> None:
        for field in dependant.path_params:
            params.append(Param("path", field.alias, _kind(field.field_info.annotation)))
        for field in dependant.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                for name, inner in annotation.model_fields.items():
                    params.append(Param("query", inner.alias or name, _kind(inner.annotation)))
            else:
                params.append(Param("query", field.alias, _kind(annotation)))
        for field in dependant.body_params:
            if isinstance(field.field_info, fastapi_params.Form) and field.alias not in UPLOAD_FIELDS:
                params.append(Param("form", field.alias, _kind(field.field_info.annotation)))
        for inner in dependant.dependencies:
            walk(inner)

    walk(route.dependant)
    return list(dict.fromkeys(params))


def _routes(app: typing.Any) -> list[tuple[str, APIRoute]]:
    found = []
    for route in iter_routes(app.routes):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, route))
    return found


@contextmanager
def recorded_lookups() -> Iterator[set[tuple[str, str]]]:
    """Record each key looked up in query parameters (QueryParams) and posted forms (FormData) meanwhile."""
    seen: set[tuple[str, str]] = set()
    originals = {name: getattr(ImmutableMultiDict, name) for name in ("__getitem__", "__contains__", "getlist")}

    def recording(original: typing.Any) -> typing.Any:
        def lookup(self: ImmutableMultiDict, key: typing.Any, *args: typing.Any) -> typing.Any:
            if isinstance(key, str):
                seen.add((type(self).__name__, key))
            return original(self, key, *args)

        return lookup

    for name, original in originals.items():
        setattr(ImmutableMultiDict, name, recording(original))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(ImmutableMultiDict, name, original)


# --- requests -------------------------------------------------------------------------------------------------------


def _encode(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")  # a lone surrogate goes out as its raw bytes


def _path(route: APIRoute, values: dict[str, str], world: dict[str, str]) -> str:
    path = route.path_format
    for name in route.param_convertors:
        value = values.get(name) or world.get(name) or PLAUSIBLE_BY_NAME.get(name) or "1"
        path = path.replace("{" + name + "}", _encode(value))
    return path


def _send(
    client: typing.Any, method: str, route: APIRoute, params: list[Param], values: dict, world: dict
) -> typing.Any:
    query = "&".join(f"{p.name}={_encode(values[p.name])}" for p in params if p.location == "query")
    form = "&".join(f"{p.name}={_encode(values[p.name])}" for p in params if p.location == "form")
    url = _path(route, values, world) + (f"?{query}" if query else "")
    if method in ("GET", "DELETE"):
        return client.request(method, url, follow_redirects=False)
    headers = {"content-type": "application/x-www-form-urlencoded"} if form or not _is_api(route) else {}
    return client.request(method, url, content=form.encode() if form else b"", headers=headers, follow_redirects=False)


def _is_api(route: APIRoute) -> bool:
    return route.path.startswith("/api/")


def _plausible(param: Param, world: dict[str, str]) -> str:
    return world.get(param.name) or PLAUSIBLE_BY_NAME.get(param.name) or PLAUSIBLE.get(param.kind, "x")


def _strategy(param: Param) -> st.SearchStrategy[str]:
    ordinary = {
        "date": st.dates().map(dt.date.isoformat),
        "datetime": st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=14))])).map(
            dt.datetime.isoformat
        ),
        "time": st.times().map(dt.time.isoformat),
        "integer": st.integers().map(str),
    }.get(param.kind, st.text(max_size=50))
    return st.one_of(st.sampled_from(param.extremes()), ordinary)


# --- the sweep ------------------------------------------------------------------------------------------------------


@pytest.fixture
def world(db_session, client) -> dict[str, str]:
    with clock.pinned(NOW):
        fleet = make_fleet(db_session)
    admin = make_token(db_session, make_user(db_session, roles=[("admin", None)]))
    db_session.commit()
    return {"admin": admin, "vin": fleet.dealer_cars[0].vin}


def _refused(response: typing.Any) -> bool:
    """Who may not call a route at all is answered before any parameter is read: no use sweeping it."""
    location = response.headers.get("location", "")
    return response.status_code in (401, 403) or (response.is_redirect and "/account/sign-in" in location)


def _parameters(client: typing.Any, routes: list[tuple[str, APIRoute]], world: dict) -> dict[tuple, list[Param]]:
    """Declared parameters, plus those each page looks up in its query string or form when requested plainly;
    routes that refuse the caller outright are left out."""
    table = {}
    shared_seen: set[str] = set()
    for method, route in routes:
        params = _declared(route)
        with recorded_lookups() as seen:
            response = _send(client, method, route, params, {p.name: _plausible(p, world) for p in params}, world)
        if _refused(response):
            continue
        if not _is_api(route):
            location = {"QueryParams": "query", "FormData": "form"}
            known = {p.name for p in params} | set(route.param_convertors)
            for container, name in sorted(seen):
                if name in SHARED_PAGE_PARAMS and name in shared_seen or name in UPLOAD_FIELDS:
                    continue
                if container in location and name not in known and not name.startswith("csrf"):
                    shared_seen.add(name)
                    kind = PAGE_KINDS.get(name, "any")
                    params.append(Param(location[container] if method != "GET" else "query", name, kind))
        if params:
            table[(method, route.path)] = params
    return table


@pytest.mark.parametrize("part", ["api", "pages"])
@pytest.mark.parametrize("as_admin", [True, False], ids=["admin", "anonymous"])
def test_no_parameter_extreme_is_a_server_error(client, world, as_admin, part, database_url):
    sensitive_only = database_url.startswith("postgresql")  # SQLite's run sends every extreme
    if as_admin:
        client.headers.update(auth_headers(world["admin"]))
    routes = [
        (m, r) for m, r in _routes(client.app) if _is_api(r) == (part == "api") and not r.path.startswith("/static")
    ]
    failures: list[str] = []

    def check(method: str, route: APIRoute, params: list[Param], values: dict[str, str]) -> None:
        response = _send(client, method, route, params, values, world)
        if response.status_code >= 500:
            shown = {k: (v[:40] + "…" if len(v) > 40 else v) for k, v in values.items()}
            failures.append(f"{method} {route.path} {shown} → {response.status_code}")

    with clock.pinned(NOW):
        table = _parameters(client, routes, world)
        for method, route in routes:
            params = table.get((method, route.path), [])
            base = {p.name: _plausible(p, world) for p in params}
            for param in params:
                for value in param.extremes(database_sensitive_only=sensitive_only):
                    check(method, route, params, {**base, param.name: value})

            @settings(
                max_examples=RANDOM_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(st.fixed_dictionaries({p.name: _strategy(p) for p in params}))
            def combinations(values: dict[str, str]) -> None:
                check(method, route, params, values)  # noqa: B023 - run at once, inside this iteration

            if params:
                combinations()
    assert not failures, "\n".join(failures[:40])
    assert len(table) >= (10 if as_admin else 3)  # the discovery found parameters: guards against a sweep of nothing


# --- the shape: every date a route accepts is windowed ------------------------------------------------------------


_WINDOWED = (dates.check_day, dates.check_birth_day, dates.check_moment)


def _windowed(annotation: object, metadata: list[object]) -> bool:
    validators = [getattr(m, "func", None) for m in metadata]
    for part in _types(annotation):
        validators += [getattr(m, "func", None) for m in getattr(part, "__metadata__", ())]
    return any(v in _WINDOWED for v in validators)


def _dated_fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, object, list[object]]]:
    for name, field in model.model_fields.items():
        for part in _types(field.annotation):
            if isinstance(part, type) and issubclass(part, BaseModel):
                yield from _dated_fields(part, f"{prefix}{name}.")
        if {dt.date, dt.datetime} & set(_types(field.annotation)):
            yield f"{prefix}{name}", field.annotation, field.metadata


def test_every_date_parameter_has_the_window():
    from forecourt.app import create_app

    app = create_app(Settings(environment="test", database_url="sqlite://"))
    bare: list[str] = []
    for method, route in _routes(app):

        def walk(dependant: typing.Any) -> Iterator[tuple[str, object, list[object]]]:
            for field in dependant.path_params + dependant.query_params + dependant.body_params:
                annotation = field.field_info.annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    yield from _dated_fields(annotation, f"{field.alias}.")
                elif {dt.date, dt.datetime} & set(_types(annotation)):
                    yield field.alias, annotation, field.field_info.metadata
            for inner in dependant.dependencies:
                yield from walk(inner)

        for name, annotation, metadata in walk(route.dependant):
            if not _windowed(annotation, metadata):
                bare.append(f"{method} {route.path}: {name}")
    assert not bare, "use core.params.Day / BirthDay / Moment for:\n" + "\n".join(bare)


def test_every_integer_parameter_is_bounded():
    """An integer path or query parameter without bounds lets 2**63 through to the database driver."""
    import annotated_types

    from forecourt.app import create_app

    app = create_app(Settings(environment="test", database_url="sqlite://"))
    unbounded: list[str] = []

    def bounded(annotation: object, metadata: list[object]) -> bool:
        metadata = list(metadata)
        for part in _types(annotation):  # Annotated[int, Field(ge=…)] inside an Optional or a list
            for item in getattr(part, "__metadata__", ()):
                metadata += getattr(item, "metadata", [item])
        lower = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in metadata)
        upper = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata)
        return lower and upper

    for method, route in _routes(app):

        def walk(dependant: typing.Any) -> Iterator[tuple[str, object, list[object]]]:
            for field in dependant.path_params + dependant.query_params:
                annotation = field.field_info.annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    for name, inner in annotation.model_fields.items():
                        yield name, inner.annotation, inner.metadata
                else:
                    yield field.alias, annotation, field.field_info.metadata
            for inner in dependant.dependencies:
                yield from walk(inner)

        for name, annotation, metadata in walk(route.dependant):
            if _kind(annotation) == "integer" and not bounded(annotation, metadata):
                unbounded.append(f"{method} {route.path}: {name}")
    assert not unbounded, "give these ge= and le= bounds (or use core.params.RowId):\n" + "\n".join(unbounded)
