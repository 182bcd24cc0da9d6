"""The lease-end options with exact figures from finance.calc: return, buy, extend, swap (pure).

From LEASE_END_NOTICE_DAYS (120) days before the end (Ford Credit's lease-end letter comes about four months ahead)
the owner sees four choices, every figure computed by the finance calc modules or by leases.mileage, never again
here:
- Return: the projected excess km × the contract's own rate per km (mileage.excess_charge), plus the disposition
  fee. Excess wear is found at the inspection and is not projected. Without a projection (fewer than 14 days of
  readings) the excess is unknown, not zero.
- Buy at the residual: the contract's purchase price (for a lease the residual value, for a lease-to-own 直租 its
  留购价) plus any purchase-option fee; no excess-km charge applies to a car that is bought. Financed, it is a
  finance.calc.loan quote with its Regulation Z APR (apr.regular_loan_apr, the financed fee being a prepaid finance
  charge) and China's comprehensive annualised rate (apr.china_annualised_rate).
- Extend month to month: the same monthly payment for each extra month; the allowance grows by the contract's km a
  year ÷ 12 per month (allowance_km over the longer term), and with a projection the excess is projected to each
  new end at the owner's current daily rate.
- Swap into a new car: equity = the dealer's appraisal − the payoff (residual + purchase-option fee + the monthly
  payments still due; no early-termination rebate is assumed). Positive equity is a down payment (loan,
  lease-to-own) or a capitalised cost reduction (lease); negative equity is rolled in: added to the price (loan,
  lease-to-own) or capitalised as a prior lease balance (lease, `capitalized_fees`). The new quote is the finance
  calc module's own, from the request the caller built for the new car; a request the calc refuses (the equity
  covers the whole price, say) gives no quote and the calc's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from forecourt.core.money import quantum
from forecourt.finance.calc.apr import china_annualised_rate, regular_loan_apr
from forecourt.finance.calc.lease import LeaseQuote, LeaseRequest, quote_lease
from forecourt.finance.calc.lease_to_own import LeaseToOwnQuote, LeaseToOwnRequest, quote_lease_to_own
from forecourt.finance.calc.loan import LoanQuote, LoanRequest, quote_loan
from forecourt.ownership.calendar_months import add_months
from forecourt.ownership.leases.mileage import (
    MAX_ANNUAL_ALLOWANCE_KM,
    MAX_TERM_MONTHS,
    LeaseMileage,
    allowance_km,
    excess_charge,
    project_to,
    require_rate,
    require_whole,
)

LEASE_END_NOTICE_DAYS = 120
DEFAULT_EXTENSION_MONTHS = 6
ZERO = Decimal("0.00")

NewCarRequest = LeaseRequest | LoanRequest | LeaseToOwnRequest
NewCarQuote = LeaseQuote | LoanQuote | LeaseToOwnQuote


@dataclass(frozen=True)
class LeaseEndContract:
    """The contract's own figures, as plain values (the database increment reads them from the contract)."""

    delivery_day: date
    term_months: int
    annual_allowance_km: int
    excess_km_rate: Decimal
    residual_value: Decimal  # purchase price at the end: residual (lease) or 留购价 (lease-to-own)
    disposition_fee: Decimal
    monthly_payment: Decimal  # total monthly payment, tax included
    payments_left: int  # monthly payments still due before the end
    purchase_option_fee: Decimal = ZERO
    currency: str = "CNY"

    def __post_init__(self) -> None:
        require_whole("term_months", self.term_months, 1, MAX_TERM_MONTHS)
        require_whole("annual_allowance_km", self.annual_allowance_km, 1, MAX_ANNUAL_ALLOWANCE_KM)
        for name in ("excess_km_rate", "residual_value", "disposition_fee", "monthly_payment", "purchase_option_fee"):
            require_rate(name, getattr(self, name))
        require_whole("payments_left", self.payments_left, 0, self.term_months)
        quantum(self.currency)

    @property
    def end_day(self) -> date:
        return add_months(self.delivery_day, self.term_months)


@dataclass(frozen=True)
class ReturnOption:
    excess_km: int | None  # None: no projection yet, so unknown (not zero)
    excess_charge: Decimal | None
    disposition_fee: Decimal
    total_due: Decimal | None  # excess charge + disposition fee


@dataclass(frozen=True)
class BuyOutFinancing:
    annual_rate: Decimal  # a fraction: 0.0399
    term_months: int
    down_payment: Decimal = ZERO
    fees_financed: Decimal = ZERO


@dataclass(frozen=True)
class BuyOption:
    price: Decimal  # residual + purchase-option fee
    payments_left_total: Decimal  # due before the end whichever option is chosen
    loan: LoanQuote | None
    apr: Decimal | None  # Regulation Z APR, a fraction, unrounded
    apr_percent: Decimal | None  # as disclosed: percent, 2 decimals, half up
    annualised_rate: Decimal | None  # 综合年化利率, a fraction


@dataclass(frozen=True)
class ExtensionMonth:
    months: int  # extra months
    end_day: date
    payments_total: Decimal  # months × the monthly payment
    allowance_km: int  # over the whole, longer term
    excess_km: int | None  # projected at the new end; None without a projection
    excess_charge: Decimal | None


@dataclass(frozen=True)
class ExtendOption:
    monthly_payment: Decimal
    allowance_km_per_month: Decimal  # km a year ÷ 12, for showing (the totals are whole km)
    months: tuple[ExtensionMonth, ...]


@dataclass(frozen=True)
class SwapOption:
    appraisal: Decimal
    payoff: Decimal
    equity: Decimal  # negative: owed beyond what the car is worth
    request: NewCarRequest  # the new car's request with the equity applied
    quote: NewCarQuote | None
    refused_because: str | None  # the finance calc's reason when it cannot price the request


@dataclass(frozen=True)
class LeaseEndOptions:
    end_day: date
    days_to_end: int  # negative once the end has passed
    return_: ReturnOption
    buy: BuyOption
    extend: ExtendOption
    swap: SwapOption | None  # None without an appraisal and a new car to quote


def options_due(today: date, end_day: date) -> bool:
    """The options are shown from 120 days before the end day (inclusive), and after it."""
    return (end_day - today).days <= LEASE_END_NOTICE_DAYS


def return_option(contract: LeaseEndContract, mileage: LeaseMileage | None) -> ReturnOption:
    projection = mileage.projection if mileage else None
    if projection is None:
        return ReturnOption(None, None, contract.disposition_fee, None)
    charge = excess_charge(projection.excess_km, contract.excess_km_rate, contract.currency)
    return ReturnOption(projection.excess_km, charge, contract.disposition_fee, charge + contract.disposition_fee)


def buy_option(contract: LeaseEndContract, financing: BuyOutFinancing | None = None) -> BuyOption:
    price = contract.residual_value + contract.purchase_option_fee
    payments_left = contract.monthly_payment * contract.payments_left
    if financing is None:
        return BuyOption(price, payments_left, None, None, None, None)
    loan = quote_loan(
        LoanRequest(
            price=price,
            down_payment=financing.down_payment,
            annual_rate=financing.annual_rate,
            term_months=financing.term_months,
            fees_financed=financing.fees_financed,
        )
    )
    # Regulation Z: the financed fee is a prepaid finance charge, so the amount financed for the APR excludes it.
    amount_financed = loan.amount_financed - financing.fees_financed
    rate = regular_loan_apr(amount_financed, loan.payment, loan.term_months, final_payment=loan.schedule[-1].payment)
    flows = [(0, -amount_financed)] + [(row.period, row.payment) for row in loan.schedule]
    return BuyOption(
        price=price,
        payments_left_total=payments_left,
        loan=loan,
        apr=rate,
        apr_percent=(rate * 100).quantize(Decimal("0.01"), ROUND_HALF_UP),
        annualised_rate=china_annualised_rate(flows),
    )


def extend_option(
    contract: LeaseEndContract, mileage: LeaseMileage | None, max_months: int = DEFAULT_EXTENSION_MONTHS
) -> ExtendOption:
    projection = mileage.projection if mileage else None
    months = []
    for extra in range(1, max_months + 1):
        term = contract.term_months + extra
        end_day = add_months(contract.delivery_day, term)
        allowance = allowance_km(contract.annual_allowance_km, term)
        excess = charge = None
        if mileage is not None and projection is not None:
            extended = project_to(
                end_day, allowance, mileage.readings, projection.window, contract.excess_km_rate, contract.currency
            )
            excess, charge = extended.excess_km, extended.excess_charge
        months.append(ExtensionMonth(extra, end_day, contract.monthly_payment * extra, allowance, excess, charge))
    per_month = Decimal(contract.annual_allowance_km) / 12
    return ExtendOption(contract.monthly_payment, per_month.quantize(Decimal("0.01"), ROUND_HALF_UP), tuple(months))


def payoff(contract: LeaseEndContract) -> Decimal:
    return contract.residual_value + contract.purchase_option_fee + contract.monthly_payment * contract.payments_left


def swap_option(contract: LeaseEndContract, appraisal: Decimal, new_car: NewCarRequest) -> SwapOption:
    require_rate("appraisal", appraisal)
    owed = payoff(contract)
    equity = appraisal - owed
    request = apply_equity(new_car, equity)
    try:
        quote: NewCarQuote = _quote(request)
    except ValueError as exc:  # MoneyError is a ValueError too
        return SwapOption(appraisal, owed, equity, request, None, str(exc))
    return SwapOption(appraisal, owed, equity, request, quote, None)


def apply_equity(request: NewCarRequest, equity: Decimal) -> NewCarRequest:
    """The new car's request with the old car's equity in it (see the module's docstring for where it goes)."""
    if isinstance(request, LeaseRequest):
        if equity >= 0:
            return replace(request, cap_cost_reduction=request.cap_cost_reduction + equity)
        return replace(request, capitalized_fees=request.capitalized_fees - equity)
    if equity >= 0:
        return replace(request, down_payment=request.down_payment + equity)
    return replace(request, price=request.price - equity)


def lease_end_options(
    contract: LeaseEndContract,
    today: date,
    mileage: LeaseMileage | None = None,
    financing: BuyOutFinancing | None = None,
    swap: tuple[Decimal, NewCarRequest] | None = None,
    max_extension_months: int = DEFAULT_EXTENSION_MONTHS,
) -> LeaseEndOptions:
    """All four options; `swap` is (appraisal, the new car's request) when the owner asked for one."""
    return LeaseEndOptions(
        end_day=contract.end_day,
        days_to_end=(contract.end_day - today).days,
        return_=return_option(contract, mileage),
        buy=buy_option(contract, financing),
        extend=extend_option(contract, mileage, max_extension_months),
        swap=swap_option(contract, *swap) if swap else None,
    )


def _quote(request: NewCarRequest) -> NewCarQuote:
    if isinstance(request, LeaseRequest):
        return quote_lease(request)
    if isinstance(request, LoanRequest):
        return quote_loan(request)
    return quote_lease_to_own(request)
