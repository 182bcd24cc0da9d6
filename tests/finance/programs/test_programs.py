"""Rate programs and residuals through the service and the API, on SQLite and PostgreSQL: versions, validation,
files (all-or-nothing, unchanged re-import, byte-stable round trips), access, the lookups quotes use, the demo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forecourt.audit.models import AuditEvent
from forecourt.finance.models import RateProgram, ResidualValue
from forecourt.finance.programs import service as programs
from forecourt.finance.programs.messages import MESSAGES
from tests.factories import auth_headers, make_small_catalog, make_token, make_user
from tests.finance.factories import make_provider, make_residuals

API = "/api/v1/finance"
BODY = {
    "code": "loan-36-mondeo",
    "product": "loan",
    "name_en": "Mondeo 36-month loan",
    "name_zh": "蒙迪欧 36期贷款",
    "model_code": "mondeo",
    "term_months": 36,
    "annual_rate": "0.0499",
    "min_down_percent": "0.20",
    "valid_from": "2026-01-01",
    "valid_to": "2027-12-31",
}
CSV_HEADER = "code,product,name_en,name_zh,model_code,term_months,annual_rate,money_factor,fee,valid_from,valid_to\n"
CSV_FILE = (
    CSV_HEADER
    + "loan-36-mondeo,loan,Mondeo loan,蒙迪欧贷款,mondeo,36,0.0499,,,2026-01-01,2027-12-31\n"
    + "lease-36-kuga,lease,Kuga lease,翼虎租赁,kuga,36,0.036,0.0015,3000,2026-01-01,2027-12-31\n"
    + "loan-12,loan,Any model 12 months,12期贷款,,12,0.0399,,,2026-01-01,2027-12-31\n"
)
RESIDUALS_CSV = (
    "model_code,term_months,annual_mileage,residual_percent\n"
    "mondeo,36,10000,0.55\nmondeo,36,20000,0.50\nkuga,36,10000,0.57\n"
)


@dataclass
class People:
    finance: dict[str, str]
    store_finance: dict[str, str]
    shopper: dict[str, str]
    staff: dict[str, str]
    admin: dict[str, str]
    finance_id: int


@pytest.fixture
def setup(db_session: Session, admin_token: str) -> People:
    catalog = make_small_catalog(db_session)
    make_provider(db_session)
    store = catalog["stores"]["gz-tianhe"]
    finance = make_user(db_session, roles=[("finance_officer", None)])
    people = People(
        finance=auth_headers(make_token(db_session, finance)),
        store_finance=auth_headers(
            make_token(db_session, make_user(db_session, roles=[("finance_officer", store.id)]))
        ),
        shopper=auth_headers(make_token(db_session, make_user(db_session, roles=[("shopper", None)]))),
        staff=auth_headers(make_token(db_session, make_user(db_session, roles=[("store_staff", store.id)]))),
        admin=auth_headers(admin_token),
        finance_id=finance.id,
    )
    db_session.commit()
    return people


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _upload(client, path: str, headers: dict, content: bytes | str, name: str = "programs.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(path, headers=headers, files={"file": (name, data, "application/octet-stream")})


# --- versions -------------------------------------------------------------------------------------------------------


def test_a_change_adds_a_version_and_keeps_the_old_one(client, db_session, setup):
    created = client.post(f"{API}/programs", json=BODY, headers=setup.finance)
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["version"] == 1 and first["is_current"] and first["annual_rate"] == "0.0499"

    changed = client.put(
        f"{API}/programs/loan-36-mondeo", json={**BODY, "annual_rate": "0.0399"}, headers=setup.finance
    )
    assert changed.status_code == 200, changed.text
    second = changed.json()
    assert second["version"] == 2 and second["new_version"] and second["annual_rate"] == "0.0399"

    old = client.get(
        f"{API}/programs/versions/{first['id']}"
    ).json()  # a stored quote's program id still shows its terms
    assert old["version"] == 1 and not old["is_current"] and old["annual_rate"] == "0.0499"
    listed = client.get(f"{API}/programs").json()
    assert [(p["code"], p["version"]) for p in listed] == [("loan-36-mondeo", 2)]

    same = client.put(f"{API}/programs/loan-36-mondeo", json={**BODY, "annual_rate": "0.039900"}, headers=setup.finance)
    assert same.status_code == 200 and same.json()["version"] == 2 and not same.json()["new_version"]
    assert _count(db_session, RateProgram) == 2

    actions = [e.action for e in db_session.scalars(select(AuditEvent).where(AuditEvent.object_type == "rate_program"))]
    assert actions == ["finance.program_created", "finance.program_versioned"]
    versioned = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "finance.program_versioned")).one()
    assert versioned.actor_user_id == setup.finance_id
    assert versioned.details["changes"] == {"annual_rate": ["0.0499", "0.0399"]}


def test_retire_then_create_again_starts_the_next_version(client, db_session, setup):
    assert client.post(f"{API}/programs", json=BODY, headers=setup.admin).status_code == 201
    retired = client.delete(f"{API}/programs/loan-36-mondeo", headers=setup.finance)
    assert retired.status_code == 200 and not retired.json()["is_current"]
    assert client.get(f"{API}/programs").json() == []
    again = client.put(f"{API}/programs/loan-36-mondeo", json=BODY, headers=setup.finance)
    assert again.status_code == 404 and again.json()["code"] == "program_retired"
    assert client.delete(f"{API}/programs/loan-36-mondeo", headers=setup.finance).json()["code"] == "program_retired"
    reinstated = client.post(f"{API}/programs", json=BODY, headers=setup.finance)
    assert reinstated.status_code == 201 and reinstated.json()["version"] == 2
    assert client.post(f"{API}/programs", json=BODY, headers=setup.finance).json()["code"] == "program_exists"
    assert client.delete(f"{API}/programs/nothing-here", headers=setup.finance).status_code == 404


def test_the_code_of_a_program_cannot_change(client, setup):
    client.post(f"{API}/programs", json=BODY, headers=setup.finance)
    response = client.put(f"{API}/programs/loan-36-mondeo", json={**BODY, "code": "other"}, headers=setup.finance)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "code"


# --- validation -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"annual_rate": "1.2"}, "annual_rate", MESSAGES["rate"]),
        ({"money_factor": "0.0015"}, "money_factor", MESSAGES["money_factor_lease_only"]),
        ({"product": "lease"}, "money_factor", MESSAGES["money_factor_needed"]),
        ({"product": "lease", "money_factor": "-0.001"}, "money_factor", MESSAGES["money_factor"]),
        ({"term_months": 121}, "term_months", MESSAGES["term"]),
        ({"valid_to": "2025-12-31"}, "valid_to", MESSAGES["date_order"]),
        ({"max_balloon_percent": "0.4"}, "max_balloon_percent", MESSAGES["balloon_only"]),
        ({"min_down_percent": "1.5"}, "min_down_percent", MESSAGES["percent"]),
        ({"model_code": "model-t"}, "model_code", MESSAGES["unknown_model"]),
        ({"trim_code": "kuga-ecoboost245"}, "trim_code", MESSAGES["unknown_trim"]),
        ({"credit_tier": "Z"}, "credit_tier", MESSAGES["unknown_tier"]),
    ],
)
def test_bad_programs_are_refused_with_a_message_per_field(client, db_session, setup, changes, field, message):
    response = client.post(f"{API}/programs", json={**BODY, **changes}, headers=setup.finance)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json" and problem["code"] == "invalid_program"
    assert any(e["field"] == field and e["message"] == message for e in problem["errors"]), problem
    assert _count(db_session, RateProgram) == 0


def test_type_errors_are_422_not_500(client, setup):
    for body in ({**BODY, "term_months": "many"}, {**BODY, "valid_from": "soon"}, {**BODY, "colour": "red"}, [], {}):
        response = client.post(f"{API}/programs", json=body, headers=setup.finance)
        assert response.status_code == 422, (body, response.text)


# --- list and lookups -------------------------------------------------------------------------------------------------


def test_list_filters(client, setup):
    assert _upload(client, f"{API}/programs/import", setup.finance, CSV_FILE).status_code == 200
    codes = lambda **params: [p["code"] for p in client.get(f"{API}/programs", params=params).json()]  # noqa: E731
    assert codes() == ["lease-36-kuga", "loan-12", "loan-36-mondeo"]
    assert codes(product="lease") == ["lease-36-kuga"]
    assert codes(model="mondeo") == ["loan-12", "loan-36-mondeo"]  # and the programs for every model
    assert codes(term=12) == ["loan-12"]
    assert codes(tier="A") == ["lease-36-kuga", "loan-12", "loan-36-mondeo"]
    assert codes(on="2028-01-01") == []
    assert client.get(f"{API}/programs", params={"product": "mortgage"}).status_code == 422
    assert client.get(f"{API}/programs", params={"term": "x"}).status_code == 422


def test_lookups_used_by_quotes_see_only_current_versions(client, db_session, setup):
    client.post(f"{API}/programs", json=BODY, headers=setup.finance)
    client.put(f"{API}/programs/loan-36-mondeo", json={**BODY, "annual_rate": "0.0299"}, headers=setup.finance)
    provider = programs.default_provider(db_session)
    found = programs.applicable_programs(
        db_session,
        provider=provider,
        model_code="mondeo",
        trim_code=None,
        on=date(2026, 6, 1),
        product="loan",
        term_months=36,
    )
    assert [(p.version, p.annual_rate) for p in found] == [(2, Decimal("0.0299"))]
    assert programs.best_program(found) is found[0]


# --- program files ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_import_export_round_trip_is_byte_for_byte_stable_and_reimport_changes_nothing(client, db_session, setup, fmt):
    assert _upload(client, f"{API}/programs/import", setup.finance, CSV_FILE).json()["created"] == [
        "loan-36-mondeo",
        "lease-36-kuga",
        "loan-12",
    ]
    exported = client.get(f"{API}/programs/export", params={"format": fmt}, headers=setup.finance)
    assert exported.status_code == 200 and exported.headers["content-disposition"].endswith(f'rate-programs.{fmt}"')
    rows, events = _count(db_session, RateProgram), _count(db_session, AuditEvent)

    again = _upload(client, f"{API}/programs/import", setup.finance, exported.content, f"programs.{fmt}")
    assert again.status_code == 200, again.text
    assert again.json() == {
        "created": [],
        "updated": [],
        "unchanged": ["lease-36-kuga", "loan-12", "loan-36-mondeo"],
        "total": 3,
    }
    assert _count(db_session, RateProgram) == rows and _count(db_session, AuditEvent) == events
    assert (
        client.get(f"{API}/programs/export", params={"format": fmt}, headers=setup.finance).content == exported.content
    )

    changed = exported.content.replace(b"0.0499", b"0.0459")
    result = _upload(client, f"{API}/programs/import", setup.finance, changed, f"programs.{fmt}").json()
    assert result["updated"] == ["loan-36-mondeo"] and len(result["unchanged"]) == 2
    assert client.get(f"{API}/programs/export", params={"format": fmt}, headers=setup.finance).content == changed


def test_a_bad_file_reports_every_problem_and_writes_nothing(client, db_session, setup):
    _upload(client, f"{API}/programs/import", setup.finance, CSV_FILE)
    rows = _count(db_session, RateProgram)
    bad = (
        CSV_HEADER
        + "loan-36-mondeo,loan,Mondeo loan,蒙迪欧贷款,mondeo,36,0.0399,,,2026-01-01,2027-12-31\n"  # a good change
        + "loan-48,loan,Loan,贷款,model-t,48,0.05,,,2026-01-01,2027-12-31\n"
        + "lease-24,lease,Lease,租赁,,24,0.03,,,2026-01-01,2027-12-31\n"
        + "loan-60,loan,Loan,贷款,,60,0.07,,12.345,2026-01-01,2026-13-01\n"
    )
    response = _upload(client, f"{API}/programs/import", setup.finance, bad)
    assert response.status_code == 422 and response.json()["code"] == "file_rejected"
    problems = [(p["line"], p["column"], p["key"]) for p in response.json()["problems"]]
    assert problems == [
        (3, "model_code", "loan-48"),
        (4, "money_factor", "lease-24"),
        (5, "fee", "loan-60"),
        (5, "valid_to", "loan-60"),
    ]
    assert _count(db_session, RateProgram) == rows  # not even the good change
    assert client.get(f"{API}/programs", params={"model": "mondeo", "term": 36}).json()[0]["annual_rate"] == "0.0499"


def test_a_file_of_many_bad_programs_answers_the_first_100_and_counts_them_all(client, setup):
    bad = CSV_HEADER + "".join(f"loan-{n},loan,Loan,贷款,,36,0.05,,12.345,2026-01-01,2026-13-01\n" for n in range(300))
    response = _upload(client, f"{API}/programs/import", setup.finance, bad)
    assert response.status_code == 422 and len(response.content) < 60_000
    body = response.json()
    assert (body["problem_count"], body["problems_truncated"], len(body["problems"])) == (600, True, 100)
    assert [p["line"] for p in body["problems"]][:4] == [2, 2, 3, 3] and len(body["errors"]) == 100
    assert sorted((c["column"], c["count"]) for c in body["problem_counts"]) == [("fee", 300), ("valid_to", 300)]


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"\x00\x01binary", "programs.csv", "file_rejected"),
        (b"code,rate\nx,1\n", "programs.csv", "file_rejected"),
        (b"programs: [", "programs.yaml", "file_rejected"),
        (CSV_FILE.encode(), "programs.xlsx", "unknown_format"),
    ],
)
def test_unreadable_files_are_422(client, setup, content, name, code):
    response = _upload(client, f"{API}/programs/import", setup.finance, content, name)
    assert response.status_code == 422 and response.json()["code"] == code, response.text


def test_an_import_without_a_file_is_422(client, setup):
    assert client.post(f"{API}/programs/import", headers=setup.finance).status_code == 422


# --- residuals --------------------------------------------------------------------------------------------------------


def test_residuals_replace_per_model_and_round_trip(client, db_session, setup):
    provider = programs.default_provider(db_session)
    make_residuals(db_session, provider, "navigator")
    db_session.commit()
    response = _upload(client, f"{API}/residuals", setup.finance, RESIDUALS_CSV, "residuals.csv")
    assert response.status_code == 200, response.text
    assert response.json() == {"replaced": ["kuga", "mondeo"], "unchanged": [], "rows": 3}
    table = programs.residual_table(db_session, provider)
    assert table.residual_percent("mondeo", 36, 15_000) == Decimal("0.50")
    assert table.residual_percent("navigator", 24, 10_000) == Decimal("0.62")  # another model keeps its rows

    for fmt in ("csv", "yaml"):
        exported = client.get(f"{API}/residuals", params={"format": fmt}, headers=setup.finance).content
        again = _upload(client, f"{API}/residuals", setup.finance, exported, f"residuals.{fmt}").json()
        assert again["replaced"] == [] and again["unchanged"] == ["kuga", "mondeo", "navigator"]
        assert client.get(f"{API}/residuals", params={"format": fmt}, headers=setup.finance).content == exported

    smaller = _upload(
        client,
        f"{API}/residuals",
        setup.finance,
        "model_code,term_months,annual_mileage,residual_percent\nmondeo,36,10000,0.54\n",
        "r.csv",
    )
    assert smaller.json()["replaced"] == ["mondeo"]
    rows = client.get(f"{API}/residuals", headers=setup.finance).json()
    assert [r for r in rows if r["model_code"] == "mondeo"] == [
        {"model_code": "mondeo", "term_months": 36, "annual_mileage": 10000, "residual_percent": "0.54"}
    ]


def test_bad_residual_files_write_nothing(client, db_session, setup):
    bad = (
        "model_code,term_months,annual_mileage,residual_percent\n"
        "mondeo,36,10000,0.50\nmondeo,36,20000,0.55\nmodel-t,36,10000,0.5\nkuga,36,10000,1.0\n"
    )
    response = _upload(client, f"{API}/residuals", setup.finance, bad, "residuals.csv")
    assert response.status_code == 422
    assert [(p["line"], p["column"]) for p in response.json()["problems"]] == [
        (3, "residual_percent"),
        (4, "model_code"),
        (5, "residual_percent"),
    ]
    assert _count(db_session, ResidualValue) == 0


# --- access -----------------------------------------------------------------------------------------------------------


def test_access(client, setup):
    assert client.get(f"{API}/programs").status_code == 200  # public
    writes = [
        ("post", f"{API}/programs", {"json": BODY}),
        ("put", f"{API}/programs/loan-36-mondeo", {"json": BODY}),
        ("delete", f"{API}/programs/loan-36-mondeo", {}),
        ("post", f"{API}/programs/import", {"files": {"file": ("p.csv", CSV_FILE.encode())}}),
        ("post", f"{API}/residuals", {"files": {"file": ("r.csv", RESIDUALS_CSV.encode())}}),
    ]
    reads = [("get", f"{API}/programs/export", {}), ("get", f"{API}/residuals", {})]
    for method, url, kwargs in writes + reads:
        assert getattr(client, method)(url, **kwargs).status_code == 401, url
        for who in (setup.shopper, setup.staff):
            response = getattr(client, method)(url, headers=who, **kwargs)
            assert response.status_code == 403 and response.json()["code"] == "forbidden_role", url
    for method, url, kwargs in writes:  # a store's finance officer reads, the provider's officers change
        response = getattr(client, method)(url, headers=setup.store_finance, **kwargs)
        assert response.status_code == 403 and response.json()["code"] == "forbidden_store_scoped", url
    for method, url, kwargs in reads:
        assert getattr(client, method)(url, headers=setup.store_finance, **kwargs).status_code == 200, url


# --- demo -------------------------------------------------------------------------------------------------------------


def test_demo_is_complete_and_idempotent(db_session):
    from forecourt.catalog.demo import load_demo
    from forecourt.catalog.demo_lineup import MODELS
    from forecourt.finance.programs.demo import ensure_finance_demo

    load_demo(db_session, vehicles=0)
    first = ensure_finance_demo(db_session)
    assert "109 programs created" in first and "residuals of 13 models set" in first
    rows, events = _count(db_session, RateProgram), _count(db_session, AuditEvent)
    second = ensure_finance_demo(db_session)
    assert "0 programs created, 0 updated, 109 unchanged" in second and "13 unchanged" in second
    assert (_count(db_session, RateProgram), _count(db_session, AuditEvent)) == (rows, events)

    provider = programs.default_provider(db_session)
    assert provider.code == "ford-credit" and provider.name_zh == "福特汽车金融（中国）"
    on = date(2026, 12, 1)
    for model in MODELS:
        found = programs.applicable_programs(
            db_session, provider=provider, model_code=model.code, trim_code=None, on=on
        )
        assert sorted((p.product, p.term_months) for p in found) == [
            ("balloon", 36),
            ("lease", 36),
            ("lease_to_own", 36),
            ("loan", 12),
            ("loan", 24),
            ("loan", 36),
            ("loan", 48),
            ("loan", 60),
        ], model.code
    nev = programs.best_program(
        programs.applicable_programs(
            db_session,
            provider=provider,
            model_code="mondeo",
            trim_code="mondeo-energi-vignale",
            on=on,
            product="loan",
            term_months=36,
        )
    )
    assert nev is not None and nev.min_down_percent == Decimal("0.15") and nev.trim_code == "mondeo-energi-vignale"
    zero = programs.best_program(
        programs.applicable_programs(
            db_session, provider=provider, model_code="escort", trim_code=None, on=on, product="loan", term_months=12
        )
    )
    assert zero is not None and zero.annual_rate == 0 and zero.subvention_by == "oem"
    lease = programs.best_program(
        programs.applicable_programs(
            db_session, provider=provider, model_code="kuga", trim_code=None, on=on, product="lease"
        )
    )
    assert lease is not None and lease.money_factor == Decimal("0.0015") and lease.fee == Decimal("3000.00")
    table = programs.residual_table(db_session, provider)
    assert table.residual_percent("kuga", 36, 20_000) == Decimal("0.50")


@pytest.mark.parametrize(
    ("path", "name", "data"),
    [
        ("/programs/import", "programs.yaml", b"programs: " + b"[" * 5000 + b"]" * 5000),
        ("/residuals", "residuals.yaml", b"residuals:\n" + b"".join(b"  " * i + b"- \n" for i in range(3000))),
    ],
)
def test_deeply_nested_yaml_upload_is_a_422_with_its_line(client, setup, path, name, data):
    response = _upload(client, f"{API}{path}", setup.finance, data, name)
    assert response.status_code == 422, response.text
    assert "nested more than 20 levels deep" in response.text
