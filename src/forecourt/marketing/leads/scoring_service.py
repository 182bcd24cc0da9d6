"""Lead scoring use cases: train from the platform's own won/lost history and store the model as JSON; score
and explain leads with the latest model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.core.errors import Conflict
from forecourt.marketing.leads import repository, scoring
from forecourt.marketing.leads.features import LeadFacts, feature_vector
from forecourt.marketing.leads.models import Lead, LeadScoringModel

DEFAULT_SEED = 2018


def facts_of(lead: Lead) -> LeadFacts:
    return LeadFacts(
        lead.source,
        lead.channel,
        lead.model_code,
        lead.calculator_uses or 0,
        lead.configurator_uses or 0,
        lead.vehicle_views or 0,
        bool(lead.test_drive_booked),
        bool(lead.test_drive_taken),
        bool(lead.credit_applied),
        lead.distance_km,
        lead.created_at,
        lead.last_activity_at,
        lead.first_contacted_at,
    )


def features_of(lead: Lead, now: datetime) -> tuple[float, ...]:
    """As of the closing time for a closed lead, else now."""
    return feature_vector(facts_of(lead), lead.closed_at or now)


def as_trained(row: LeadScoringModel) -> scoring.TrainedModel:
    return scoring.TrainedModel.from_parameters(
        row.parameters,
        training_rows=row.training_rows,
        held_out_rows=row.held_out_rows,
        held_out_auc=row.held_out_auc,
        seed=row.seed,
    )


def current_model(session: Session) -> scoring.TrainedModel | None:
    row = repository.latest_model(session)
    return as_trained(row) if row is not None else None


def score_lead(model: scoring.TrainedModel | None, lead: Lead, now: datetime) -> scoring.Score | None:
    return None if model is None else scoring.score(model, features_of(lead, now))


def train_from_history(session: Session, *, now: datetime, seed: int = DEFAULT_SEED) -> LeadScoringModel:
    """Train on every won and lost lead; store the result as the next model version."""
    leads = repository.closed_leads(session)
    rows = [features_of(lead, now) for lead in leads]
    outcomes = [1 if lead.status == "won" else 0 for lead in leads]
    try:
        trained = scoring.train(rows, outcomes, seed=seed)
    except scoring.NotEnoughHistory as exc:
        raise Conflict(str(exc), code="not_enough_history") from None
    row = LeadScoringModel(
        version=repository.next_model_version(session),
        trained_at=now,
        training_rows=trained.training_rows,
        held_out_rows=trained.held_out_rows,
        held_out_auc=trained.held_out_auc,
        seed=seed,
        parameters=trained.parameters(),
    )
    session.add(row)
    session.flush()
    return row
