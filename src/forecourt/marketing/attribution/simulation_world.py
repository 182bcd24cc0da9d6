"""The world of the journey simulator (`simulation.py`): channels with their true effects and costs, the market
(cities, models, stores) and the funnel's base rates. Pure: standard library only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChannelSpec:
    """One channel: mean touches per visitor, true per-touch logit lifts, timing and tagging."""

    name: str
    reach: float
    lift: float  # on viewing a vehicle, which starts the funnel
    order_lift: float  # on ordering after a test drive
    timing: tuple[float, float]  # Beta(a, b) position of a touch in the consideration window
    touch_type: str  # impression, click or visit
    utm_source: str
    utm_medium: str
    cost_per_touch_minor: int  # CNY fen
    bursts: int = 1  # campaigns beside the always-on one


# Costs are per simulated touch, which stands for one person reached: an impression touch costs what the
# several impressions it takes to reach a person cost (¥0.8-2 at auto-industry CPMs), a click its CPC.
DEFAULT_CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("search", 0.12, 2.50, 0.0, (2.0, 2.0), "click", "baidu", "cpc", 600, 2),
    ChannelSpec("social", 0.10, 0.90, 0.0, (1.2, 4.0), "impression", "wechat", "social", 150, 2),
    ChannelSpec("display", 0.09, 0.10, 0.0, (1.5, 4.0), "impression", "baidu_union", "display", 80),
    ChannelSpec("video", 0.10, 2.10, 0.0, (1.5, 3.0), "impression", "douyin", "video", 200, 2),
    ChannelSpec("marketplace", 0.08, 2.20, 0.2, (2.0, 2.0), "click", "autohome", "marketplace", 1500),
    ChannelSpec("email", 0.07, 0.05, 0.0, (8.0, 1.0), "click", "edm", "email", 10),
    ChannelSpec("sms", 0.07, 0.0, 0.0, (10.0, 1.0), "click", "sms", "sms", 10),
    ChannelSpec("referral", 0.03, 1.50, 0.8, (1.5, 1.5), "click", "owner_referral", "referral", 5_000),
    ChannelSpec("direct", 0.10, 0.0, 0.0, (8.0, 1.0), "visit", "(direct)", "(none)", 0, 0),
    ChannelSpec("offline_event", 0.02, 1.80, 1.2, (2.0, 2.0), "visit", "auto_show", "event", 5_000),
)


@dataclass(frozen=True)
class Market:
    """Cities, models and stores; defaults mirror ``forecourt.catalog.demo_lineup`` (base MSRPs).

    The demo has no Shenzhen store, so Shenzhen visitors drive at Guangzhou stores (an hour away).
    """

    cities: tuple[str, ...] = ("guangzhou", "shenzhen", "shanghai", "beijing")
    city_weights: tuple[float, ...] = (0.3, 0.25, 0.25, 0.2)
    models: tuple[str, ...] = ("focus", "mondeo", "kuga", "escort", "edge", "explorer", "mkc", "continental")
    model_weights: tuple[float, ...] = (0.2, 0.16, 0.16, 0.14, 0.1, 0.09, 0.08, 0.07)
    model_prices_minor: tuple[int, ...] = (
        10_980_000,
        17_980_000,
        18_980_000,
        7_980_000,
        25_980_000,
        39_980_000,
        27_800_000,
        32_980_000,
    )
    stores: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "guangzhou": ("gz-tianhe", "gz-baiyun", "gz-self-service", "gz-panyu-lincoln"),
            "shenzhen": ("gz-tianhe", "gz-self-service"),
            "shanghai": ("sh-pudong", "sh-minhang", "sh-jiading-lincoln"),
            "beijing": ("bj-chaoyang", "bj-fengtai", "bj-haidian-lincoln"),
        }
    )


@dataclass(frozen=True)
class Funnel:
    """Base rates of the funnel; the first and last are logits that touches lift."""

    view_logit: float = -6.0
    intent_sd: float = 0.6
    calculator: float = 0.45
    booking: float = 0.25
    booking_after_calculator: float = 0.35
    drive_taken: float = 0.75
    order_logit: float = -1.0
    credit_if_order: float = 0.6
    credit_if_no_order: float = 0.15
