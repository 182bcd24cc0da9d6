"""US closed-end vehicle lease: the Regulation M (12 CFR 1013) payment box and amounts due.

The quote fills the segregated disclosures of 12 CFR 1013.4 in the order of Appendix A-2 ("Model
Closed-End or Net Vehicle Lease Disclosures"): gross capitalized cost − capitalized cost reduction
= adjusted capitalized cost; − residual value = depreciation and any amortized amounts; + rent
charge = total of base monthly payments; ÷ lease term = base monthly payment; + monthly sales/use
tax = total monthly payment. Payments are in advance, the usual US money-factor convention:
    base payment = (adjusted cap − residual) / term + (adjusted cap + residual) × money factor
Rounding (half-up to the cent, core.money.round_money):
- the base monthly payment is rounded once, from the exact depreciation and rent parts;
- the monthly tax is rounded from the rounded base payment, as the lessor bills it;
- totals are rounded monthly figures × term, so every line of the box adds up exactly;
- the rent-charge line is total of base payments − depreciation: it absorbs the payment's rounding
  (at most term × ½ cent away from the exact rent), as dealers' systems do, so that depreciation +
  rent charge = total of base payments to the cent (§1013.4(f)(7)).
Amounts due follow the model form: "amount due at lease signing" (§1013.4(b)) itemises the cap cost
reduction, first monthly payment, fees, up-front tax and refundable security deposit; "total of
payments" (§1013.4(e)) is that amount + the monthly payments + other charges (the disposition fee)
− the monthly payment already counted at signing − the refundable security deposit.
Tax modes (state law varies; the caller picks): "monthly" taxes each base payment (most states);
"upfront" taxes the total of base payments at signing (e.g. NJ, OH); "cap_cost" taxes the pre-tax
gross capitalized cost (agreed price + capitalised fees) and capitalises the tax (e.g. TX, VA).
Tax on a cap cost reduction, which several monthly-mode states levy at signing, is not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from typing import Literal, get_args

from forecourt.core.money import round_money

ZERO = Decimal("0")
NO_CENTS = Decimal("0.00")  # a disclosed zero still shows its cents
CURRENCY = "USD"
APR_PER_MONEY_FACTOR = Decimal(2400)  # money factor × 2400 ≈ APR in percent (0.00125 → 3.00)
WORKING_PRECISION = 40
MAX_TERM_MONTHS = 120
MAX_FIXED_POINT_STEPS = 100

TaxMode = Literal["monthly", "upfront", "cap_cost"]
TAX_MODES: tuple[str, ...] = get_args(TaxMode)
_AMOUNT_FIELDS = (
    "agreed_price",
    "residual_value",
    "money_factor",
    "acquisition_fee",
    "capitalized_fees",
    "cap_cost_reduction",
    "disposition_fee",
    "tax_rate",
    "security_deposit",
    "excess_mileage_rate",
    "signing_fees",
)


@dataclass(frozen=True)
class LeaseRequest:
    agreed_price: Decimal  # agreed-upon value of the vehicle (§1013.4(f)(1))
    term_months: int
    residual_value: Decimal  # from a ResidualTable, or residual percent × MSRP by the caller
    money_factor: Decimal  # monthly lease rate, e.g. 0.00125
    acquisition_fee: Decimal = ZERO  # added to the gross cap cost unless acquisition_fee_upfront
    capitalized_fees: Decimal = ZERO  # service contracts, doc fees, prior lease balance paid over the term
    acquisition_fee_upfront: bool = False
    cap_cost_reduction: Decimal = ZERO  # cash down + rebates + net trade-in
    disposition_fee: Decimal = ZERO  # an "other charge" due at lease end, never in the payment
    tax_rate: Decimal = ZERO
    tax_mode: TaxMode = "monthly"  # on each payment / on the sum of payments, up front / on the cap cost, capitalised
    security_deposit: Decimal = ZERO  # refundable
    annual_mileage: int = 15000
    excess_mileage_rate: Decimal = Decimal("0.25")  # per mile over the allowance (§1013.4(o))
    signing_fees: Decimal = ZERO  # title, registration and other fees paid at signing, not capitalised

    def __post_init__(self) -> None:
        for name in _AMOUNT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, float) or not isinstance(value, (Decimal, int)):
                raise TypeError(f"{name} must be a Decimal (floats cannot hold cents exactly), got {value!r}")
            if not Decimal(value).is_finite() or value < 0:
                raise ValueError(f"{name} must be a finite amount ≥ 0, got {value}")
            object.__setattr__(self, name, Decimal(value))
        if not 1 <= self.term_months <= MAX_TERM_MONTHS:
            raise ValueError(f"term_months must be 1..{MAX_TERM_MONTHS}, got {self.term_months}")
        if self.tax_mode not in TAX_MODES:
            raise ValueError(f"tax_mode must be one of {TAX_MODES}, got {self.tax_mode!r}")
        if self.annual_mileage < 0:
            raise ValueError(f"annual_mileage must be ≥ 0, got {self.annual_mileage}")


@dataclass(frozen=True)
class LeaseQuote:
    """The Regulation M box and the amounts around it, every figure in dollars and cents."""

    gross_capitalized_cost: Decimal
    capitalized_cost_reduction: Decimal
    adjusted_capitalized_cost: Decimal
    residual_value: Decimal
    depreciation: Decimal  # "depreciation and any amortized amounts"
    rent_charge: Decimal
    total_of_base_payments: Decimal
    base_monthly_payment: Decimal
    monthly_tax: Decimal
    total_monthly_payment: Decimal
    term_months: int
    due_at_signing: Decimal
    total_of_payments: Decimal
    mileage_allowance_total: int
    excess_mileage_rate: Decimal
    disposition_fee: Decimal
    equivalent_apr: Decimal  # money factor × 2400, in percent; informational, not a Reg Z APR
    upfront_tax: Decimal  # "upfront" mode: tax on the total of base payments (paid at signing or capitalised)
    capitalized_tax: Decimal  # "cap_cost" mode: tax on the pre-tax cap cost, inside the gross cap cost
    capitalized_signing_items: Decimal  # sign-and-drive only: first payment, fees and tax rolled into the cap cost


def quote_lease(request: LeaseRequest) -> LeaseQuote:
    """Price a closed-end lease and fill the Appendix A-2 box (12 CFR 1013.4(b), (c), (e), (f))."""
    return _quote(request, capitalized_signing_items=NO_CENTS, signing_capitalised=False)


def solve_zero_drive_off(request: LeaseRequest) -> LeaseQuote:
    """Sign and drive: roll everything due at signing into the gross capitalized cost.

    Formulation. Let S be the signing items = first total monthly payment + signing fees + the
    "upfront"-mode tax (the acquisition fee is simply capitalised). The quote is priced with
        gross cap = agreed price + capitalised fees + acquisition fee (+ "cap_cost"-mode tax) + S
    and S must equal the signing items of that very quote. Each extra dollar of cap cost raises the
    base payment by k = 1/term + money factor, and S by a = k × (1 + tax rate) (monthly mode), k
    (cap_cost mode) or k × (1 + tax rate × term) (upfront mode); so S* = S0 / (1 − a) in exact
    arithmetic, which needs a < 1. With cent rounding S ↦ S(quote(S)) is still non-decreasing and
    grows slower than S, so iterating it from the closed-form S* climbs or falls monotonically to a
    fixed point in cents, in a step or two.
    The lessor advances the first payment from the capitalised amount, so due at signing is 0.00,
    the lessee pays the other term − 1 payments, and the box still balances: depreciation (which
    now includes S) + rent charge = term × base payment. A cap cost reduction or security deposit
    would be due at signing, so both must be zero.
    """
    if request.cap_cost_reduction or request.security_deposit:
        raise ValueError(
            "a zero-drive-off lease has nothing due at signing: cap_cost_reduction and "
            "security_deposit must be 0 (lower the agreed price to pass on a rebate)"
        )
    capitalised = replace(request, acquisition_fee_upfront=False)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        signing = _closed_form_signing_items(capitalised)
        for _ in range(MAX_FIXED_POINT_STEPS):
            quote = _quote(capitalised, capitalized_signing_items=signing, signing_capitalised=True)
            needed = _signing_items(capitalised, quote)
            if needed == signing:
                return quote
            signing = needed
    raise ArithmeticError("the sign-and-drive payment did not settle to the cent")  # pragma: no cover


def amount_due_at_signing(
    *,
    cap_cost_reduction: Decimal,
    first_monthly_payment: Decimal,
    fees: Decimal,
    upfront_tax: Decimal,
    security_deposit: Decimal,
) -> Decimal:
    """§1013.4(b): the itemised amount due at lease signing or delivery (model form, box 6a)."""
    return cap_cost_reduction + first_monthly_payment + fees + upfront_tax + security_deposit


def total_of_payments(
    *,
    due_at_signing: Decimal,
    total_monthly_payment: Decimal,
    term_months: int,
    monthly_payments_due_at_signing: int,
    other_charges: Decimal,
    security_deposit: Decimal,
) -> Decimal:
    """§1013.4(e): due at signing + all monthly payments + other charges − the monthly payments
    already counted at signing − the refundable security deposit."""
    later_payments = term_months - monthly_payments_due_at_signing
    return due_at_signing + total_monthly_payment * later_payments + other_charges - security_deposit


def _quote(request: LeaseRequest, capitalized_signing_items: Decimal, signing_capitalised: bool) -> LeaseQuote:
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        term, rate = request.term_months, request.tax_rate
        acquisition_capitalised = ZERO if request.acquisition_fee_upfront else request.acquisition_fee
        pre_tax_cap = _cents(request.agreed_price + request.capitalized_fees + acquisition_capitalised)
        capitalized_tax = _cents(pre_tax_cap * rate) if request.tax_mode == "cap_cost" else NO_CENTS
        gross = pre_tax_cap + capitalized_tax + capitalized_signing_items
        reduction, residual = _cents(request.cap_cost_reduction), _cents(request.residual_value)
        adjusted = gross - reduction
        depreciation = adjusted - residual
        if depreciation < 0:
            raise ValueError(f"residual value {residual} exceeds the adjusted capitalized cost {adjusted}")
        base = _cents(depreciation / term + (adjusted + residual) * request.money_factor)
        total_base = base * term
        monthly_tax = _cents(base * rate) if request.tax_mode == "monthly" else NO_CENTS
        upfront_tax = _cents(total_base * rate) if request.tax_mode == "upfront" else NO_CENTS
        quote = LeaseQuote(
            gross_capitalized_cost=gross,
            capitalized_cost_reduction=reduction,
            adjusted_capitalized_cost=adjusted,
            residual_value=residual,
            depreciation=depreciation,
            rent_charge=total_base - depreciation,
            total_of_base_payments=total_base,
            base_monthly_payment=base,
            monthly_tax=monthly_tax,
            total_monthly_payment=base + monthly_tax,
            term_months=term,
            due_at_signing=NO_CENTS,
            total_of_payments=NO_CENTS,
            mileage_allowance_total=request.annual_mileage * term // 12,  # whole miles
            excess_mileage_rate=_cents(request.excess_mileage_rate),
            disposition_fee=_cents(request.disposition_fee),
            equivalent_apr=request.money_factor * APR_PER_MONEY_FACTOR,
            upfront_tax=upfront_tax,
            capitalized_tax=capitalized_tax,
            capitalized_signing_items=capitalized_signing_items,
        )
        return _with_amounts_due(request, quote, signing_capitalised)


def _with_amounts_due(request: LeaseRequest, quote: LeaseQuote, signing_capitalised: bool) -> LeaseQuote:
    due = NO_CENTS if signing_capitalised else _signing_items(request, quote)
    total = total_of_payments(
        due_at_signing=due,
        total_monthly_payment=quote.total_monthly_payment,
        term_months=quote.term_months,
        monthly_payments_due_at_signing=1,
        other_charges=quote.disposition_fee,
        security_deposit=_cents(request.security_deposit),
    )
    return replace(quote, due_at_signing=due, total_of_payments=total)


def _signing_items(request: LeaseRequest, quote: LeaseQuote) -> Decimal:
    upfront_fees = request.signing_fees + (request.acquisition_fee if request.acquisition_fee_upfront else ZERO)
    return amount_due_at_signing(
        cap_cost_reduction=quote.capitalized_cost_reduction,
        first_monthly_payment=quote.total_monthly_payment,
        fees=_cents(upfront_fees),
        upfront_tax=quote.upfront_tax,
        security_deposit=_cents(request.security_deposit),
    )


def _closed_form_signing_items(request: LeaseRequest) -> Decimal:
    """S* = S0 / (1 − a) from the docstring of solve_zero_drive_off, rounded to a starting cent."""
    rate, term = request.tax_rate, request.term_months
    growth_per_cap_dollar = 1 / Decimal(term) + request.money_factor
    tax_multiplier = {"monthly": 1 + rate, "cap_cost": Decimal(1), "upfront": 1 + rate * term}[request.tax_mode]
    slope = growth_per_cap_dollar * tax_multiplier
    if slope >= 1:
        raise ValueError(
            "no sign-and-drive payment exists: capitalising the first payment would raise it "
            "by more than itself (term too short or tax/money factor too high)"
        )
    without_rollover = _signing_items(request, quote_lease(request))
    return _cents(without_rollover / (1 - slope))


def _cents(amount: Decimal) -> Decimal:
    return round_money(amount, CURRENCY)
