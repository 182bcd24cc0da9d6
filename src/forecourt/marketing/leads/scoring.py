"""Lead scoring maths: train a logistic regression on standardised features, evaluate it on a held-out split,
turn it into plain numbers, and score and explain one lead from those numbers. No ORM, no web: numpy and
scikit-learn only (scikit-learn for fitting; scoring needs numpy alone).

Explanation: with standardised inputs z = (x - mean) / scale, the log-odds are intercept + Σ coef·z, so each
feature's contribution coef·z is exact and additive; the top factors are the largest |coef·z|, with their sign
(raises or lowers the score). A feature at its training mean contributes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecourt.marketing.leads.features import FEATURE_LABELS, FEATURE_NAMES

MIN_PER_CLASS = 20
HELD_OUT_SHARE = 0.25


class NotEnoughHistory(ValueError):
    """Too few won or lost leads to train (or evaluate) a model."""


@dataclass(frozen=True)
class TrainedModel:
    feature_names: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    training_rows: int
    held_out_rows: int
    held_out_auc: float
    seed: int

    def parameters(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
            "means": list(self.means),
            "scales": list(self.scales),
        }

    @classmethod
    def from_parameters(
        cls,
        parameters: dict[str, Any],
        *,
        training_rows: int = 0,
        held_out_rows: int = 0,
        held_out_auc: float = 0.0,
        seed: int = 0,
    ) -> TrainedModel:
        return cls(
            tuple(parameters["feature_names"]),
            tuple(float(c) for c in parameters["coefficients"]),
            float(parameters["intercept"]),
            tuple(float(m) for m in parameters["means"]),
            tuple(float(s) for s in parameters["scales"]),
            training_rows,
            held_out_rows,
            held_out_auc,
            seed,
        )


@dataclass(frozen=True)
class Factor:
    feature: str
    label: str
    value: float  # the raw feature value
    contribution: float  # coef · standardised value, in log-odds


@dataclass(frozen=True)
class Score:
    score: int  # 0–100
    probability: float
    factors: tuple[Factor, ...]  # every feature, largest |contribution| first


def train(rows: Sequence[Sequence[float]], outcomes: Sequence[int], *, seed: int = 2018) -> TrainedModel:
    """Fit on a stratified (1 - HELD_OUT_SHARE) split and report the AUC on the rest."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(rows, dtype=float)
    y = np.asarray(outcomes, dtype=int)
    won, lost = int(y.sum()), int(len(y) - y.sum())
    if won < MIN_PER_CLASS or lost < MIN_PER_CLASS:
        raise NotEnoughHistory(
            f"Need at least {MIN_PER_CLASS} won and {MIN_PER_CLASS} lost leads to train; have {won} won and {lost} lost"
        )
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=HELD_OUT_SHARE, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(x_train)
    scales = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)  # a constant feature: scale 1, contributes 0
    model = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
    model.fit((x_train - scaler.mean_) / scales, y_train)
    probabilities = model.predict_proba((x_test - scaler.mean_) / scales)[:, 1]
    auc = float(roc_auc_score(y_test, probabilities))
    return TrainedModel(
        FEATURE_NAMES,
        tuple(float(c) for c in model.coef_[0]),
        float(model.intercept_[0]),
        tuple(float(m) for m in scaler.mean_),
        tuple(float(s) for s in scales),
        len(y_train),
        len(y_test),
        auc,
        seed,
    )


def score(model: TrainedModel, values: Sequence[float]) -> Score:
    """Score one lead; the factors are sorted by |contribution|, largest first (ties by feature order)."""
    known = dict(zip(FEATURE_NAMES, values, strict=True))
    factors = []
    logit = model.intercept
    for name, coef, mean, scale in zip(model.feature_names, model.coefficients, model.means, model.scales, strict=True):
        value = float(known.get(name, mean))  # a feature this code no longer computes: neutral
        contribution = coef * (value - mean) / scale
        logit += contribution
        factors.append(Factor(name, FEATURE_LABELS.get(name, name), value, contribution))
    probability = 1 / (1 + math.exp(-max(-50.0, min(50.0, logit))))
    order = sorted(range(len(factors)), key=lambda i: (-abs(factors[i].contribution), i))
    return Score(round(probability * 100), probability, tuple(factors[i] for i in order))


def top_factors(result: Score, count: int = 3) -> tuple[Factor, ...]:
    return tuple(f for f in result.factors[:count] if f.contribution != 0)
