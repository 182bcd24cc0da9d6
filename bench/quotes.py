"""Finance maths benchmark: exact quotes, vectorised payment search and APR solves, each beside
numpy-financial computing the same thing in the same run.

    python bench/quotes.py

1. Exact quotes per second: `finance.calc.loan.quote_loan` (Decimal, rounded schedule to the cent) and
   `finance.calc.lease.quote_lease`, against numpy-financial's `pmt` for the same loans (float, no schedule).
2. Payment search over 100,000 prices × 5 terms: `finance.calc.payment_search.payments_matrix` against
   `numpy_financial.pmt` on the same arrays, with the largest difference between the two.
3. APR solves per second: `finance.calc.apr.regular_loan_apr` (bracketed, cannot return a wrong root)
   against `numpy_financial.rate` (Newton from a fixed guess) on the same loans, and how many of each
   were wrong: not within 1/8 of a percentage point (Regulation Z's tolerance) of the note rate the
   payment was computed from, or no answer at all; then the same for loans with a long first period
   (Appendix J's fractional unit period), which numpy-financial cannot express.
"""

from __future__ import annotations

import random
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy_financial as npf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402
from forecourt.finance.calc.apr import regular_loan_apr  # noqa: E402
from forecourt.finance.calc.lease import LeaseRequest, quote_lease  # noqa: E402
from forecourt.finance.calc.loan import LoanRequest, level_payment, quote_loan  # noqa: E402
from forecourt.finance.calc.payment_search import payments_matrix  # noqa: E402

SEED = 2018
LOANS = 2_000
INVENTORY = 100_000
TERMS = (12, 24, 36, 48, 60)
RATES = (Decimal("0"), Decimal("0.0399"), Decimal("0.0499"), Decimal("0.0599"), Decimal("0.0699"))
TOLERANCE = Decimal("0.00125")  # 1/8 of a percentage point


def _loans(rng: random.Random, count: int) -> list[tuple[Decimal, Decimal, int, Decimal]]:
    """(price, down, term, annual rate): car loans from everyday to extreme (rates up to 60 %, 1-120 months),
    where a fixed-guess Newton solver is most likely to stray."""
    loans = []
    for _ in range(count):
        price = Decimal(rng.randrange(50_000_00, 2_000_000_00)) / 100
        down = (price * Decimal(rng.choice(("0", "0.1", "0.2", "0.3", "0.5")))).quantize(Decimal("0.01"))
        rate = Decimal(rng.choice((rng.randrange(0, 1500), rng.randrange(1500, 6000)))) / 10_000
        loans.append((price, down, rng.choice((1, 3, 6, 12, 24, 36, 48, 60, 84, 120)), rate))
    return loans


def _per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}"


def exact_quotes(loans: list[tuple[Decimal, Decimal, int, Decimal]]) -> list[list[str]]:
    started = time.perf_counter()
    for price, down, term, rate in loans:
        quote_loan(LoanRequest(price=price, down_payment=down, annual_rate=rate, term_months=term))
    loan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for price, down, _term, _rate in loans:
        residual = (price * Decimal("0.55")).quantize(Decimal("0.01"))
        reduction = min(
            down, (price * Decimal("0.2")).quantize(Decimal("0.01"))
        )  # keep the residual below the cap cost
        quote_lease(
            LeaseRequest(
                agreed_price=price,
                term_months=36,
                residual_value=residual,
                money_factor=Decimal("0.0015"),
                cap_cost_reduction=reduction,
            )
        )
    lease_seconds = time.perf_counter() - started
    principals = np.array([float(p - d) for p, d, _, _ in loans])
    rates = np.array([float(r) / 12 for *_, r in loans])
    terms = np.array([t for _, _, t, _ in loans])
    started = time.perf_counter()
    for principal, rate, term in zip(principals, rates, terms, strict=True):
        npf.pmt(rate, term, -principal)
    scalar_seconds = time.perf_counter() - started
    return [
        ["exact loan quote (Decimal, full schedule)", f"{len(loans):,}", _per_second(len(loans), loan_seconds), ""],
        ["exact lease quote (Regulation M box)", f"{len(loans):,}", _per_second(len(loans), lease_seconds), ""],
        [
            "numpy-financial pmt, one loan per call (float, payment only)",
            f"{len(loans):,}",
            _per_second(len(loans), scalar_seconds),
            "",
        ],
    ]


def payment_search(rng: np.random.Generator) -> list[list[str]]:
    prices = rng.integers(50_000_00, 2_000_000_00, size=INVENTORY)
    down = Decimal("0.20")
    payments_matrix(prices[:100], TERMS, RATES, down)  # warm-up
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        ours = payments_matrix(prices, TERMS, RATES, down)
        samples.append(time.perf_counter() - started)
    principal = (prices - np.floor(prices * 0.2 + 0.5)) / 100  # the same cent-rounded down payment
    npf_samples = []
    for _ in range(5):
        started = time.perf_counter()
        theirs = np.column_stack([npf.pmt(float(r) / 12, n, -principal) for n, r in zip(TERMS, RATES, strict=True)])
        npf_samples.append(time.perf_counter() - started)
    difference = float(np.nanmax(np.abs(ours - theirs)))
    cells = f"{INVENTORY:,} × {len(TERMS)}"
    return [
        ["payment search: payments_matrix (numpy)", cells, f"{min(samples) * 1000:.1f} ms", ""],
        [
            "payment search: numpy-financial pmt on the same arrays",
            cells,
            f"{min(npf_samples) * 1000:.1f} ms",
            f"max |difference| {difference:.2e} yuan",
        ],
    ]


def _wrong(answer: Decimal | float | None, truth: Decimal) -> bool:
    if answer is None or (isinstance(answer, float) and not np.isfinite(answer)):
        return True
    return abs(Decimal(str(answer)) - truth) > TOLERANCE


def apr_solves(loans: list[tuple[Decimal, Decimal, int, Decimal]]) -> list[list[str]]:
    cases = []
    for price, down, term, rate in loans:
        principal = price - down
        payment = level_payment(principal, rate / 12, term).quantize(Decimal("0.01"))
        cases.append((principal, payment, term, rate))
    ours_wrong, started = 0, time.perf_counter()
    for principal, payment, term, rate in cases:
        try:
            answer = regular_loan_apr(principal, payment, term)
        except ValueError:
            answer = None
        ours_wrong += _wrong(answer, rate)
    ours_seconds = time.perf_counter() - started
    theirs_wrong, started = 0, time.perf_counter()
    for principal, payment, term, rate in cases:
        monthly = npf.rate(term, float(payment), -float(principal), 0.0)
        theirs_wrong += _wrong(None if not np.isfinite(monthly) else float(monthly) * 12, rate)
    theirs_seconds = time.perf_counter() - started
    return [
        [
            "APR: regular_loan_apr (Appendix J, bracketed)",
            f"{len(cases):,}",
            _per_second(len(cases), ours_seconds),
            f"{ours_wrong} wrong",
        ],
        [
            "APR: numpy-financial rate (Newton, default guess)",
            f"{len(cases):,}",
            _per_second(len(cases), theirs_seconds),
            f"{theirs_wrong} wrong or no answer",
        ],
    ]


def _odd_first_period_payment(principal: Decimal, annual_rate: Decimal, months: int, fraction: Decimal) -> Decimal:
    """The payment that makes the Appendix J equation hold at the note rate with a long first period
    (first payment one month and `fraction` of a month after the advance)."""
    i = annual_rate / 12
    factor = sum(1 / ((1 + fraction * i) * (1 + i) ** t) for t in range(1, months + 1))
    return (principal / factor).quantize(Decimal("0.01"))


def odd_first_period(loans: list[tuple[Decimal, Decimal, int, Decimal]]) -> list[list[str]]:
    """A contract signed mid-month with the first payment 1.5 months later: Appendix J counts the odd half
    month; numpy-financial's `rate` has whole periods only, so its answer describes another loan."""
    fraction = Decimal("0.5")
    cases = [
        (p - d, _odd_first_period_payment(p - d, r, t, fraction), t, r) for p, d, t, r in loans if t >= 6 and r > 0
    ]
    ours_wrong = sum(_wrong(regular_loan_apr(a, pmt, t, first_period_fraction=fraction), r) for a, pmt, t, r in cases)
    theirs_wrong = sum(_wrong(float(npf.rate(t, float(pmt), -float(a), 0.0)) * 12, r) for a, pmt, t, r in cases)
    return [
        ["APR with a long first period: regular_loan_apr", f"{len(cases):,}", "", f"{ours_wrong} wrong"],
        [
            "APR with a long first period: numpy-financial rate",
            f"{len(cases):,}",
            "",
            f"{theirs_wrong} outside Reg Z tolerance",
        ],
    ]


def main() -> None:
    rng = random.Random(SEED)
    loans = _loans(rng, LOANS)
    rows = (
        exact_quotes(loans) + payment_search(np.random.default_rng(SEED)) + apr_solves(loans) + odd_first_period(loans)
    )
    print("\nFinance maths: Forecourt's exact Decimal path beside numpy-financial (same inputs, same run)\n")
    print_table(["what", "inputs", "per second / time", "agreement"], rows)


if __name__ == "__main__":
    main()
