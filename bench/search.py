"""Search benchmark: p50/p99 of typical faceted searches through the HTTP API on SQLite and PostgreSQL,
each beside the bare SQL the search issues (replayed through the DB-API driver), plus the inventory
import rate for a 50,000-row CSV beside a raw driver `executemany` of the same rows.

Run: `make bench` or `.venv/bin/python bench/search.py [--vehicles 100000] [--repeat 50]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import captured_sql, ms, percentile, print_table, replay, scratch_database, timed  # noqa: E402
from forecourt.app import create_app  # noqa: E402
from forecourt.catalog.demo import load_demo  # noqa: E402
from forecourt.core.db import make_engine, make_session_factory, transaction  # noqa: E402
from forecourt.core.migrate import upgrade  # noqa: E402
from forecourt.core.settings import Settings  # noqa: E402
from import_rate import measure_import  # noqa: E402

QUERIES: list[tuple[str, dict[str, object]]] = [
    ("default listing", {}),
    ("SUVs in Guangzhou", {"body_type": "suv", "city": "guangzhou"}),
    ("Mondeo, newest year first", {"model": "mondeo", "sort": "-year"}),
    ("CNY 150k-300k, 2019, page 5", {"price_min": "150000", "price_max": "300000", "model_year": 2019, "page": 5}),
    ("text 蒙迪欧 混动", {"q": "蒙迪欧 混动"}),
    (
        "3 facets + sort by mileage",
        {"brand": "ford", "powertrain": "ice", "city": ["shanghai", "beijing"], "sort": "mileage"},
    ),
    ("all statuses, Lincoln", {"brand": "lincoln", "status": ["available", "in_transit", "reserved", "sold"]}),
]


def bench_backend(backend: str, vehicles: int, repeat: int, import_rows: int) -> tuple[list[list[str]], list[str]]:
    with scratch_database(backend) as url:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        with transaction(make_session_factory(engine)) as session:
            load_demo(session, vehicles=vehicles, seed=7)
        load_seconds = time.perf_counter() - started
        # Fresh statistics (and, on PostgreSQL, the visibility map that index-only scans need), as
        # autovacuum / `PRAGMA optimize` would give a live database.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"))
        app = create_app(Settings(environment="test", database_url=url))
        rows = []
        with TestClient(app) as client:
            for name, params in QUERIES:

                def call(params: dict[str, object] = params) -> None:
                    response = client.get("/api/v1/vehicles", params=params)
                    assert response.status_code == 200, response.text

                api = timed(call, repeat)
                with captured_sql(app.state.engine) as statements:
                    call()
                bare = timed(replay(app.state.engine, statements), repeat)
                rows.append(
                    [
                        backend,
                        name,
                        ms(percentile(api, 50)),
                        ms(percentile(api, 99)),
                        ms(percentile(bare, 50)),
                        ms(percentile(bare, 99)),
                        str(len(statements)),
                    ]
                )
        app.state.engine.dispose()
        import_row = measure_import(backend, engine, import_rows)
        engine.dispose()
        print(f"{backend}: loaded {vehicles:,} demo vehicles in {load_seconds:.1f} s", file=sys.stderr)
        return rows, import_row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    search_rows, import_rows = [], []
    for backend in args.backends.split(","):
        rows, import_row = bench_backend(backend, args.vehicles, args.repeat, args.import_rows)
        search_rows += rows
        import_rows.append(import_row)
    print(f"\nFaceted search over {args.vehicles:,} vehicles, {args.repeat} runs each (ms)\n")
    print_table(["backend", "search", "API p50", "API p99", "bare SQL p50", "bare SQL p99", "statements"], search_rows)
    print(f"\nInventory import of {args.import_rows:,} CSV rows (new VINs, then the same file again)\n")
    print_table(
        ["backend", "import (rows/s)", "re-import (rows/s)", "raw executemany (rows/s)", "import / raw"], import_rows
    )


if __name__ == "__main__":
    main()
