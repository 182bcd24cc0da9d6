"""Lead scoring: training on the demo history, determinism, explanations, the stored JSON model, the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from forecourt.core.clock import utcnow
from forecourt.core.errors import Conflict
from forecourt.marketing.leads import scoring, scoring_service
from forecourt.marketing.leads.demo import load_lead_demo
from forecourt.marketing.leads.features import FEATURE_NAMES
from forecourt.marketing.leads.models import Lead
from tests.marketing.leads.helpers import emit, make_world


def _synthetic(n: int, seed: int) -> tuple[list[list[float]], list[int]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURE_NAMES)))
    logit = 1.5 * x[:, 0] - 1.0 * x[:, 5] + 0.5 * x[:, 10]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x.tolist(), y.tolist()


def test_training_is_deterministic_and_learns_the_signal() -> None:
    rows, outcomes = _synthetic(800, 1)
    first, second = scoring.train(rows, outcomes, seed=7), scoring.train(rows, outcomes, seed=7)
    assert first == second
    assert 0.7 < first.held_out_auc < 1.0
    assert first.coefficients[0] > 0 > first.coefficients[5]


def test_refuses_with_too_few_of_a_class() -> None:
    rows, _ = _synthetic(100, 2)
    with pytest.raises(scoring.NotEnoughHistory, match="at least 20 won and 20 lost"):
        scoring.train(rows, [1] * 90 + [0] * 10)


def test_factors_are_sorted_and_add_up_to_the_score() -> None:
    rows, outcomes = _synthetic(400, 3)
    model = scoring.train(rows, outcomes)
    result = scoring.score(model, rows[0])
    contributions = [abs(f.contribution) for f in result.factors]
    assert contributions == sorted(contributions, reverse=True)
    logit = model.intercept + sum(f.contribution for f in result.factors)
    assert result.probability == pytest.approx(1 / (1 + math.exp(-logit)))
    assert result.score == round(100 * result.probability)
    for factor in result.factors:
        i = FEATURE_NAMES.index(factor.feature)
        assert factor.contribution == pytest.approx(
            model.coefficients[i] * (rows[0][i] - model.means[i]) / model.scales[i]
        )
    top = scoring.top_factors(result)
    assert len(top) == 3 and top == result.factors[:3]
    neutral = scoring.score(model, list(model.means))
    assert all(f.contribution == 0 for f in neutral.factors) and scoring.top_factors(neutral) == ()
    assert scoring.TrainedModel.from_parameters(model.parameters()).coefficients == model.coefficients


def test_demo_history_trains_a_meaningful_model(db_session: Session) -> None:
    make_world(db_session)
    summary = load_lead_demo(db_session)
    assert "3000 closed leads" in summary
    row = scoring_service.train_from_history(db_session, now=utcnow())
    assert 0.6 < row.held_out_auc < 0.95  # meaningful, not trivially perfect
    again = scoring_service.train_from_history(db_session, now=utcnow())
    assert again.version == row.version + 1 and again.parameters == row.parameters  # the same seed, the same model
    assert set(row.parameters) == {"feature_names", "coefficients", "intercept", "means", "scales"}
    assert "0 closed leads added" in load_lead_demo(db_session)  # idempotent
    emit(db_session, "test_drive_taken", visitor="v-score", store="gz-tianhe")
    lead = db_session.query(Lead).filter(Lead.visitor_id == "v-score").one()
    scored = scoring_service.score_lead(scoring_service.current_model(db_session), lead, utcnow())
    assert scored is not None and 0 <= scored.score <= 100


def test_service_refuses_without_history(db_session: Session) -> None:
    make_world(db_session)
    with pytest.raises(Conflict) as refused:
        scoring_service.train_from_history(db_session, now=utcnow())
    assert refused.value.code == "not_enough_history"


def test_cli_train_scoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forecourt.catalog.demo import load_demo
    from forecourt.cli import app
    from forecourt.core.db import make_engine, make_session_factory, transaction
    from forecourt.core.migrate import upgrade
    from forecourt.core.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    monkeypatch.setenv("FORECOURT_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(app, ["leads", "train-scoring"])
        assert refused.exit_code == 1 and "Need at least 20 won and 20 lost" in refused.output
        with transaction(make_session_factory(engine)) as session:
            load_demo(session, vehicles=30, seed=2018)
            load_lead_demo(session)
        trained = CliRunner().invoke(app, ["leads", "train-scoring", "--seed", "2018"])
        assert trained.exit_code == 0, trained.output
        assert "held-out AUC 0.7" in trained.output and "v2" in trained.output
    finally:
        get_settings.cache_clear()
        engine.dispose()
