from __future__ import annotations

from tests.factories import make_small_catalog, make_vehicle


def test_search_filters_facets_and_money_as_strings(client, db_session):
    cat = make_small_catalog(db_session)
    t, s, c = cat["trims"], cat["stores"], cat["colours"]
    make_vehicle(db_session, t["mondeo-ecoboost180"], s["gz-tianhe"], c["white"], price="169800.00")
    make_vehicle(db_session, t["mondeo-hybrid"], s["sh-pudong"], c["white"])
    make_vehicle(db_session, t["kuga-ecoboost245"], s["gz-tianhe"], c["black"])
    make_vehicle(db_session, t["kuga-ecoboost245"], s["gz-tianhe"], c["black"], status="sold")
    db_session.commit()

    response = client.get("/api/v1/vehicles", params={"body_type": "suv", "city": "guangzhou"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 1
    assert body["items"][0]["model"]["code"] == "kuga"
    assert body["items"][0]["price"] == "249800.00"
    body_types = {f["value"]: f["count"] for f in body["facets"]["body_type"]}
    assert body_types == {"suv": 1, "sedan": 1}  # disjunctive: sedans in Guangzhou still counted
    statuses = {f["value"]: f["count"] for f in body["facets"]["status"]}
    assert statuses == {"available": 1, "sold": 1, "in_transit": 0}  # default selection shows even when empty


def test_unknown_filter_value_is_a_clear_422(client, db_session):
    make_small_catalog(db_session)
    response = client.get("/api/v1/vehicles", params={"model": "model-t"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid_filter"
    assert problem["errors"][0]["field"] == "model"
    assert "model-t" in problem["errors"][0]["message"]
