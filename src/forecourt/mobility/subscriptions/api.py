"""Subscription API: subscribe (credit check, a car of the class) with Idempotency-Key, swap, pause, resume, cancel,
and buying the car (a conversion quote, then the conversion with Idempotency-Key)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from forecourt.accounts.security import RequiredUser
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession, WriteSession, run_idempotent
from forecourt.mobility.fleet import service as fleet
from forecourt.mobility.models import Subscription
from forecourt.mobility.subscriptions import billing_run, conversion, eligibility, repository, terms
from forecourt.mobility.subscriptions import service as subscriptions
from forecourt.mobility.subscriptions.schemas import (
    ChangeIn,
    ConversionIn,
    ConversionLoanOut,
    ConversionOut,
    ConversionQuoteOut,
    ConvertIn,
    FinalInvoiceOut,
    InvoiceOut,
    NotOfferedOut,
    SegmentOut,
    SubscribeIn,
    SubscriptionOut,
    SwapIn,
)
from forecourt.testdrive import reservations
from forecourt.testdrive.models import BookingPurpose

router = APIRouter(prefix="/api/v1", tags=["subscriptions"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="A UUID per attempt")]


def subscription_out(session: Session, subscription: Subscription) -> SubscriptionOut:
    classes = {c.id: c.code for c in fleet.classes(session)}
    now = utcnow()

    def car(reference: str | None) -> str | None:
        if reference is None:
            return None
        shown = reservations.get(session, reference, BookingPurpose.SUBSCRIPTION, now=now)
        return f"{shown.model_en} {shown.masked_vin}"

    return SubscriptionOut(
        reference=subscription.reference,
        status=subscription.status,
        store=catalog.stores_by_id(session)[subscription.store_id].code,
        started_on=subscription.started_on,
        minimum_until=subscription.minimum_until,
        ends_on=subscription.ends_on,
        km_carried=subscription.km_carried,
        decision=subscription.decision,
        handover=subscription.handover,
        segments=[
            SegmentOut(
                mobility_class=classes[s.class_id],
                first_day=s.first_day,
                last_day=s.last_day,
                paused=s.paused,
                swap_fee=s.swap_fee,
                car=car(s.reservation_reference),
            )
            for s in repository.segments(session, subscription.id)
        ],
        invoices=[
            InvoiceOut(
                period_first_day=i.period_first_day,
                period_last_day=i.period_last_day,
                lines=i.lines,
                total=i.total,
                km_driven=i.km_driven,
                km_carried_out=i.km_carried_out,
                paid=i.payment_id is not None,
            )
            for i in repository.invoices(session, subscription.id)
        ],
        purchase_credit=billing_run.purchase_credit(session, subscription),
    )


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionOut,
    summary="Subscribe to a class",
    responses={404: {"description": "No such store, or the class is not offered by subscription"}},
)
def subscribe(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    body: SubscribeIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> tuple[int, Any]:
        made = subscriptions.subscribe(
            session,
            subscriptions.Subscriber(user.user_id, user.email, user.mobile, "zh-Hans"),
            store_code=body.store,
            class_code=body.mobility_class,
            start_day=body.start,
            payment_method=body.payment_method,
            now=utcnow(),
            handover=eligibility.Handover(body.delivery_address),
            cipher=request.app.state.field_cipher,
        )
        return 201, subscription_out(session, made).model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        run=run,
    )


@router.get("/subscriptions", response_model=list[SubscriptionOut], summary="My subscriptions")
def mine(session: DbSession, user: RequiredUser) -> list[SubscriptionOut]:
    return [subscription_out(session, s) for s in subscriptions.my_subscriptions(session, user.user_id)]


@router.get("/subscriptions/{reference}", response_model=SubscriptionOut, summary="One of my subscriptions")
def one(session: DbSession, user: RequiredUser, reference: str) -> SubscriptionOut:
    return subscription_out(session, subscriptions.get_own(session, user.user_id, reference))


@router.post("/subscriptions/{reference}/swap", response_model=SubscriptionOut, summary="Swap to another class")
def swap(session: WriteSession, user: RequiredUser, reference: str, body: SwapIn) -> SubscriptionOut:
    done = subscriptions.swap(session, user.user_id, reference, body.mobility_class, on_day=body.on, now=utcnow())
    return subscription_out(session, done)


@router.post("/subscriptions/{reference}/pause", response_model=SubscriptionOut, summary="Pause (give the car back)")
def pause(session: WriteSession, user: RequiredUser, reference: str, body: ChangeIn) -> SubscriptionOut:
    return subscription_out(
        session, subscriptions.pause(session, user.user_id, reference, on_day=body.on, now=utcnow())
    )


@router.post("/subscriptions/{reference}/resume", response_model=SubscriptionOut, summary="Resume after a pause")
def resume(session: WriteSession, user: RequiredUser, reference: str, body: ChangeIn) -> SubscriptionOut:
    return subscription_out(
        session, subscriptions.resume(session, user.user_id, reference, on_day=body.on, now=utcnow())
    )


@router.post("/subscriptions/{reference}/cancel", response_model=SubscriptionOut, summary="Give notice")
def cancel(session: WriteSession, user: RequiredUser, reference: str) -> SubscriptionOut:
    return subscription_out(session, subscriptions.cancel(session, user.user_id, reference, now=utcnow()))


def _conversion_inputs(body: ConversionIn) -> conversion.ConversionInputs:
    return conversion.ConversionInputs(body.product, body.term_months, body.cash_down, body.balloon_percent)


def conversion_quote_out(quote: conversion.ConversionQuote) -> ConversionQuoteOut:
    refused = quote.not_offered
    return ConversionQuoteOut(
        reference=quote.subscription.reference,
        vin=quote.vehicle.vin,
        model=quote.vehicle.model.name_en,
        conversion_day=quote.today,
        product=quote.inputs.product,
        car_price=quote.car_price,
        final_invoices=[
            FinalInvoiceOut(period_first_day=b.first, period_last_day=b.last, total=b.bill.total)
            for b in quote.final_bills
        ],
        final_invoice=quote.final_invoice,
        fees_paid_before=quote.fees_paid_before,
        credit_percent=terms.FAMILY.purchase_credit_percent,
        credit_cap=terms.FAMILY.purchase_credit_cap,
        purchase_credit=quote.purchase_credit,
        cash_down=quote.inputs.cash_down,
        down_payment=quote.down_payment,
        amount_to_finance=quote.amount_to_finance,
        loan=None if quote.loan is None else ConversionLoanOut(**asdict(quote.loan)),
        not_offered=None
        if refused is None
        else NotOfferedOut(code=refused.code, message=refused.message, details=refused.details),
    )


@router.post(
    "/subscriptions/{reference}/conversion-quote",
    response_model=ConversionQuoteOut,
    summary="What buying the subscription's car comes to today (nothing is stored)",
    responses={404: {"description": "No such subscription of yours"}},
)
def conversion_quote(session: DbSession, user: RequiredUser, reference: str, body: ConversionIn) -> ConversionQuoteOut:
    quote = conversion.conversion_quote(session, user.user_id, reference, _conversion_inputs(body), utcnow())
    return conversion_quote_out(quote)


@router.post(
    "/subscriptions/{reference}/convert",
    status_code=201,
    response_model=ConversionOut,
    summary="Buy the subscription's car: final invoice, the car on sale to you, an order on the loan quote",
    responses={
        402: {"description": "The final invoice or the order's deposit was declined"},
        404: {"description": "No such subscription of yours"},
    },
)
def convert(
    session: WriteSession,
    request: Request,
    user: RequiredUser,
    reference: str,
    body: ConvertIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> tuple[int, Any]:
        done = conversion.convert(
            session,
            user.user_id,
            reference,
            _conversion_inputs(body),
            payment_method=body.payment_method,
            payment_provider=request.app.state.integrations.payments,
            now=utcnow(),
        )
        out = ConversionOut(
            reference=done.subscription.reference,
            status=done.subscription.status,
            order=done.order.reference,
            quote=done.quote_reference,
            purchase_credit=done.purchase_credit,
            final_invoice=done.final_invoice,
        )
        return 201, out.model_dump(mode="json")

    return run_idempotent(
        session,
        request,
        scope=f"user:{user.user_id}",
        key=idempotency_key,
        payload={"reference": reference.strip().upper(), **body.model_dump(mode="json")},
        run=run,
    )
