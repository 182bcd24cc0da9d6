"""Our models against independent implementations on the same simulated journeys.

- marketing-attribution-models (``mam``, 2.1.1): exact first-order removal effects, as ours.
- ChannelAttribution (2.2.x): ``heuristic_models`` (first, last, linear touch) must agree
  exactly; ``markov_model`` estimates removal effects by simulating random walks, so it agrees
  only within its own noise (see ``CA_REMOVAL_TOLERANCE``).

Each test skips only when its package is not installed.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from forecourt.marketing.attribution.aggregate import path_counts, run_model
from forecourt.marketing.attribution.markov import PathCounts, removal_effects
from forecourt.marketing.attribution.paths import (
    build_non_converting_paths,
    build_paths,
)
from forecourt.marketing.attribution.simulation import simulate

LOOKBACK = timedelta(days=61)


def _journeys(kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Paths and non-converting paths of one conversion type, about 90,000 touchpoints."""
    sim = simulate(7, 50_000, date(2026, 3, 1), 60)
    converted = sim.conversions.filter(pl.col("type") == kind)
    return (
        build_paths(sim.touchpoints, converted, lookback=LOOKBACK),
        build_non_converting_paths(sim.touchpoints, converted, end=sim.end, lookback=LOOKBACK),
    )


@pytest.fixture(scope="module")
def test_drives() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _journeys("test_drive_booked")


@pytest.fixture(scope="module")
def orders() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _journeys("order")


def _grouped(counts: PathCounts, sep: str):
    """One pandas row per distinct path: path string, conversions, nulls, value."""
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(
        {
            "path": [sep.join(p) for p in counts.paths],
            "conv": [int(c) for c in counts.conversions],
            "null": [int(n) for n in counts.nulls],
            "value": list(counts.values) if counts.values is not None else [0.0] * len(counts.paths),
        }
    )


# --- marketing-attribution-models --------------------------------------------------------------


def test_mam_removal_effects_agree_on_simulated_journeys(test_drives):
    mam = pytest.importorskip("mam")
    counts = path_counts(*test_drives)
    journeys = [" > ".join(p) for p in counts.paths]
    rows = pl.DataFrame(
        {
            "path": journeys + journeys,
            "conv_flag": [True] * len(journeys) + [False] * len(journeys),
            "occ": [int(c) for c in counts.conversions] + [int(n) for n in counts.nulls],
        }
    ).filter(pl.col("occ") > 0)
    model = mam.MAM(
        rows,
        format_type="grouped_journey",
        channels_colname="path",
        journey_with_conv_colname="conv_flag",
        occurrences_colname="occ",
    )
    theirs = model.run_markov().metadata["removal_effect"]["removal_effect"].to_dict()
    ours = removal_effects(counts)
    assert len(ours) == 10
    assert ours == pytest.approx(theirs, abs=1e-6)


# --- ChannelAttribution ------------------------------------------------------------------------

_CA_HEURISTICS = {"first_touch": "first_touch", "last_touch": "last_touch", "linear": "linear_touch"}


def test_channelattribution_heuristics_agree_exactly(orders):
    ca = pytest.importorskip("ChannelAttribution")
    paths, nulls = orders
    grouped = _grouped(path_counts(paths, nulls), ">")
    theirs = ca.heuristic_models(grouped[grouped.conv > 0], "path", "conv", var_value="value", sep=">", flg_pro=False)
    theirs = theirs.set_index("channel_name")
    for ours_name, their_name in _CA_HEURISTICS.items():
        ours = {k: (c, v) for k, c, v in run_model(paths, nulls, ours_name).iter_rows() if k != "(none)"}
        for channel, (conversions, value) in ours.items():
            assert theirs.loc[channel, f"{their_name}_conversions"] == pytest.approx(conversions, rel=1e-9, abs=1e-9)
            assert theirs.loc[channel, f"{their_name}_value"] == pytest.approx(value, rel=1e-9, abs=1e-6)
        absent = set(theirs.index) - set(ours)
        assert all(theirs.loc[c, f"{their_name}_conversions"] == 0 for c in absent)


# ChannelAttribution's markov_model simulates random walks on the chain (at least 1e5, more until
# repeated estimates vary by under 5 %), so its removal effects carry Monte Carlo error. On these
# journeys (about 2,700 distinct paths, removal effects 0.06-0.4) three seeds deviated from the
# exact solve by at most 0.011 in removal effect and 0.007 in share of conversions; the
# tolerances are about three times that.
CA_REMOVAL_TOLERANCE = 0.03
CA_SHARE_TOLERANCE = 0.02


def test_channelattribution_markov_agrees_within_its_simulation_noise(test_drives):
    ca = pytest.importorskip("ChannelAttribution")
    paths, nulls = test_drives
    counts = path_counts(paths, nulls)
    result = ca.markov_model(
        _grouped(counts, ">"),
        "path",
        "conv",
        var_null="null",
        order=1,
        out_more=True,
        seed=1,
        verbose=False,
        flg_pro=False,
    )
    theirs = result["removal_effects"].set_index("channel_name")["removal_effect"].to_dict()
    assert removal_effects(counts) == pytest.approx(theirs, abs=CA_REMOVAL_TOLERANCE)
    their_credit = result["result"].set_index("channel_name")["total_conversions"]
    their_share = (their_credit / their_credit.sum()).to_dict()
    ours = run_model(paths, nulls, "markov").filter(pl.col("key") != "(none)")
    our_share = dict(ours.select("key", pl.col("conversions") / pl.col("conversions").sum()).iter_rows())
    assert our_share == pytest.approx(their_share, abs=CA_SHARE_TOLERANCE)
