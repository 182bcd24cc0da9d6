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
    statement = select(ResidualValue).where(
        ResidualValue.provider_id == provider_id, ResidualValue.model_code == model_code
    )
    return session.scalars(statement).all()


def residual_table_rows(session: Session, provider_id: int) -> Sequence[tuple[str, int, int, Decimal]]:
    statement = select(
        ResidualValue.model_code,
        ResidualValue.term_months,
        ResidualValue.annual_mileage,
        ResidualValue.residual_percent,
    ).where(ResidualValue.provider_id == provider_id)
    return [tuple(row) for row in session.execute(statement)]


def list_current_programs(
    session: Session,
    *,
    provider_id: int,
    product: str | None = None,
    model_code: str | None = None,
    term_months: int | None = None,
    tier: str | None = None,
    on: date | None = None,
) -> Sequence[RateProgram]:
    """Current versions, filtered; a model or tier filter keeps the programs for every model / tier too."""
    statement = select(RateProgram).where(RateProgram.provider_id == provider_id, RateProgram.is_current.is_(True))
    if product is not None:
        statement = statement.where(RateProgram.product == product)
    if model_code is not None:
        statement = statement.where(or_(RateProgram.model_code.is_(None), RateProgram.model_code == model_code))
    if term_months is not None:
        statement = statement.where(RateProgram.term_months == term_months)
    if tier is not None:
        statement = statement.where(RateProgram.credit_tier.in_(("*", tier)))
    if on is not None:
        statement = statement.where(RateProgram.valid_from <= on, RateProgram.valid_to >= on)
    return session.scalars(statement.order_by(RateProgram.code)).all()


def program_versions(session: Session, provider_id: int, code: str) -> Sequence[RateProgram]:
    """Every version of a program, newest first."""
    statement = select(RateProgram).where(RateProgram.provider_id == provider_id, RateProgram.code == code)
    return session.scalars(statement.order_by(RateProgram.version.desc())).all()


def programs_by_code(session: Session, provider_id: int, codes: Sequence[str]) -> dict[str, list[RateProgram]]:
    """Every version of each of `codes`, newest first (one query for an import)."""
    found: dict[str, list[RateProgram]] = {code: [] for code in codes}
    for start in range(0, len(codes), 500):
        statement = select(RateProgram).where(
            RateProgram.provider_id == provider_id, RateProgram.code.in_(codes[start : start + 500])
        )
        for program in session.scalars(statement.order_by(RateProgram.code, RateProgram.version.desc())):
            found[program.code].append(program)
    return found


def residuals(session: Session, provider_id: int) -> Sequence[ResidualValue]:
    statement = (
        select(ResidualValue)
        .where(ResidualValue.provider_id == provider_id)
        .order_by(ResidualValue.model_code, ResidualValue.term_months, ResidualValue.annual_mileage)
    )
    return session.scalars(statement).all()


def delete_residuals(session: Session, provider_id: int, model_code: str) -> None:
    for row in residual_rows(session, provider_id, model_code):
        session.delete(row)
    session.flush()
