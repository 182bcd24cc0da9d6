"""A lease view as its API shape (leases.schemas): the pure core's figures and steps, unchanged."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from forecourt.ownership.leases.lease_end import LeaseEndOptions, NewCarRequest
from forecourt.ownership.leases.schemas import (
    ExtensionOut,
    LeaseEndOut,
    LeaseOut,
    ProjectionOut,
    StepOut,
    SwapNewCarOut,
    SwapOut,
    SwapRefusalOut,
)
from forecourt.ownership.leases.service import LeaseView
from forecourt.ownership.leases.swap import SwapView


def _options_out(options: LeaseEndOptions, program: str | None, payoff: Decimal) -> LeaseEndOut:
    back, buy, extend = options.return_, options.buy, options.extend
    return LeaseEndOut(
        end_day=options.end_day,
        days_to_end=options.days_to_end,
        return_excess_km=back.excess_km,
        return_excess_charge=back.excess_charge,
        return_disposition_fee=back.disposition_fee,
        return_total_due=back.total_due,
        buy_price=buy.price,
        buy_payments_left_total=buy.payments_left_total,
        buy_loan_program=program if buy.loan else None,
        buy_loan_monthly_payment=buy.loan.payment if buy.loan else None,
        buy_loan_term_months=buy.loan.term_months if buy.loan else None,
        buy_loan_apr_percent=buy.apr_percent,
        buy_loan_annualised_rate=buy.annualised_rate,
        extend_monthly_payment=extend.monthly_payment,
        extend_allowance_km_per_month=extend.allowance_km_per_month,
        extend_months=[
            ExtensionOut(
                months=m.months,
                end_day=m.end_day,
                payments_total=m.payments_total,
                allowance_km=m.allowance_km,
                excess_km=m.excess_km,
                excess_charge=m.excess_charge,
            )
            for m in extend.months
        ],
        swap_payoff=payoff,
    )


def lease_out(view: LeaseView) -> LeaseOut:
    mileage, terms = view.mileage, view.terms
    projection = mileage.projection
    return LeaseOut(
        reference=view.ownership.reference,
        vin=view.ownership.vin,
        currency=terms.currency,
        end_day=mileage.terms.end_day,
        ended=mileage.ended,
        annual_allowance_km=mileage.terms.annual_allowance_km,
        term_months=mileage.terms.term_months,
        excess_km_rate=mileage.terms.excess_km_rate,
        allowance_km=mileage.allowance_km,
        delivery_km=mileage.readings.start.km,
        latest_km=mileage.readings.latest.km,
        driven_km=mileage.driven_km,
        days_of_readings=mileage.days_of_readings,
        days_of_readings_needed=mileage.days_of_readings_needed,
        hidden_because=mileage.hidden_because.value if mileage.hidden_because else None,
        ignored_readings=len(mileage.readings.ignored),
        projection=ProjectionOut(
            as_of=projection.as_of,
            end_day=projection.end_day,
            days_left=projection.days_left,
            months_left=projection.months_left.months,
            extra_days_left=projection.months_left.days,
            window_first_day=projection.window.first.day,
            window_km=projection.window.km,
            window_days=projection.window.days,
            since_delivery=projection.window.since_start,
            km_per_day=projection.window.km_per_day,
            projected_km=projection.projected_km,
            excess_km=projection.excess_km,
            excess_charge=projection.excess_charge,
            percent_over=projection.percent_over,
        )
        if projection
        else None,
        steps=[StepOut(kind=step.kind.value, inputs=dict(step.inputs), result=step.result) for step in mileage.steps],
        options_due=view.options_due,
        options=_options_out(view.options, view.buy_out_program, view.payoff) if view.options else None,
    )


def request_figures(request: NewCarRequest) -> dict[str, Any]:
    """The calc request's fields, each Decimal as its exact string."""
    out: dict[str, Any] = {}
    for item in fields(request):
        value = getattr(request, item.name)
        out[item.name] = str(value) if isinstance(value, Decimal) else value
    return out


def swap_out(view: SwapView) -> SwapOut:
    car, contract, quote, option = view.vehicle, view.contract, view.new_quote, view.option
    return SwapOut(
        reference=view.ownership.reference,
        currency=contract.currency,
        new_car=SwapNewCarOut(
            vin=car.vin,
            model=car.model.code,
            model_name_en=car.model.name_en,
            model_name_zh=car.model.name_zh,
            trim=car.trim.code,
            trim_name_en=car.trim.name_en,
            trim_name_zh=car.trim.name_zh,
            model_year=car.model_year,
            price=car.price,
            quote_url=f"/vehicles/{car.vin}",
        ),
        product=view.product,
        term_months=view.term_months,
        annual_mileage=view.annual_mileage,
        program=view.program_code,
        net_price=view.net_price,
        appraisal=view.appraisal,
        appraisal_estimated=view.appraisal_estimated,
        payoff=view.payoff,
        payoff_residual_value=contract.residual_value,
        payoff_purchase_option_fee=contract.purchase_option_fee,
        payoff_payments_left=contract.payments_left,
        payoff_monthly_payment=contract.monthly_payment,
        equity=view.equity,
        equity_goes_to=view.equity_goes_to,
        cash_down=view.cash_down,
        request=request_figures(option.request) if option else None,
        offered=quote is not None,
        monthly_payment=quote.monthly_payment if quote else None,
        amount_financed=quote.amount_financed if quote else None,
        apr_percent=quote.apr_percent if quote else None,
        annualised_rate_percent=quote.annualised_rate_percent if quote else None,
        refusal=SwapRefusalOut(code=view.refusal_code, message=view.refusal or "") if view.refusal_code else None,
    )
