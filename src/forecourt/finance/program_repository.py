"""Queries of rate programs, providers and residual values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from forecourt.finance.models import FinanceProvider, RateProgram, ResidualValue


def default_provider(session: Session) -> FinanceProvider | None:
    return session.scalars(select(FinanceProvider).order_by(FinanceProvider.id).limit(1)).first()


def get_provider(session: Session, code: str) -> FinanceProvider | None:
    return session.scalars(select(FinanceProvider).where(FinanceProvider.code == code)).one_or_none()


def current_programs(
    session: Session,
    *,
    provider_id: int,
    model_code: str | None,
    trim_code: str | None,
    on: date,
    product: str | None = None,
    term_months: int | None = None,
) -> Sequence[RateProgram]:
    """Current versions valid on `on` that apply to the model and trim (or to every model / trim)."""
    statement = select(RateProgram).where(
        RateProgram.provider_id == provider_id,
        RateProgram.is_current.is_(True),
        RateProgram.valid_from <= on,
        RateProgram.valid_to >= on,
        or_(RateProgram.model_code.is_(None), RateProgram.model_code == model_code),
        or_(RateProgram.trim_code.is_(None), RateProgram.trim_code == trim_code),
    )
    if product is not None:
        statement = statement.where(RateProgram.product == product)
    if term_months is not None:
        statement = statement.where(RateProgram.term_months == term_months)
    return session.scalars(statement.order_by(RateProgram.product, RateProgram.term_months, RateProgram.id)).all()


def get_program(session: Session, program_id: int) -> RateProgram | None:
    return session.get(RateProgram, program_id)


def residual_rows(session: Session, provider_id: int, model_code: str) -> Sequence[ResidualValue]:
    statement = select(ResidualValue).where(ResidualValue.provider_id == provider_id,
                                            ResidualValue.model_code == model_code)  # fmt: skip
    return session.scalars(statement).all()


def residual_table_rows(session: Session, provider_id: int) -> Sequence[tuple[str, int, int, Decimal]]:
    statement = select(ResidualValue.model_code, ResidualValue.term_months, ResidualValue.annual_mileage,
                       ResidualValue.residual_percent).where(ResidualValue.provider_id == provider_id)  # fmt: skip
    return [tuple(row) for row in session.execute(statement)]
