"""Which channel brought a touch: the campaign's, else the UTM medium's, else the referrer's, else direct.

Pure (standard library only). The campaign lookup is done by the caller (it needs the database); this
module maps what is left: `utm_medium` words ad platforms use, and well-known referrer hosts in China and
elsewhere. A referrer from our own site is not a channel (an internal navigation): it falls through to direct.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from forecourt.marketing.vocabulary import CHANNELS, DIRECT_CHANNEL

MEDIUM_CHANNELS: dict[str, str] = {
    **dict.fromkeys(("cpc", "ppc", "sem", "paid_search", "paidsearch", "search", "organic", "seo"), "search"),
    **dict.fromkeys(("social", "paid_social", "social_paid", "social-network", "sns", "kol"), "social"),
    **dict.fromkeys(("display", "banner", "cpm", "programmatic", "native", "dsp"), "display"),
    **dict.fromkeys(("video", "ott", "preroll", "pre-roll", "livestream", "live"), "video"),
    **dict.fromkeys(("email", "e-mail", "edm", "newsletter"), "email"),
    **dict.fromkeys(("sms", "text", "mms"), "sms"),
    **dict.fromkeys(("referral", "affiliate", "partner"), "referral"),
    **dict.fromkeys(("marketplace", "ecommerce", "e-commerce", "mall"), "marketplace"),
    **dict.fromkeys(("offline", "event", "offline_event", "qr", "print", "roadshow"), "offline_event"),
}

# Registrable-domain label (the part before the public suffix) → channel; matched on any label of the host.
REFERRER_CHANNELS: dict[str, str] = {
    **dict.fromkeys(("baidu", "bing", "google", "sogou", "so", "360", "sm", "yahoo", "duckduckgo", "yandex"), "search"),
    **dict.fromkeys(
        (
            "weibo",
            "douyin",
            "xiaohongshu",
            "xhslink",
            "wechat",
            "weixin",
            "qq",
            "zhihu",
            "bilibili",
            "kuaishou",
            "toutiao",
            "facebook",
            "instagram",
            "twitter",
            "x",
            "linkedin",
            "tiktok",
        ),
        "social",
    ),
    **dict.fromkeys(("youku", "iqiyi", "youtube", "ixigua"), "video"),
    **dict.fromkeys(("tmall", "taobao", "jd", "pinduoduo", "dongchedi", "autohome", "yiche", "pcauto"), "marketplace"),
    **dict.fromkeys(("mail", "outlook", "163", "126", "gmail", "foxmail"), "email"),
}


def channel_from_medium(utm_medium: str | None) -> str | None:
    if not utm_medium:
        return None
    medium = utm_medium.strip().lower()
    if medium in CHANNELS:
        return medium
    return MEDIUM_CHANNELS.get(medium) or MEDIUM_CHANNELS.get(medium.replace(" ", "_"))


def referrer_host(referrer: str | None) -> str | None:
    """The host of a referrer URL (lower case, without `www.`), or None when it is not a web address."""
    if not referrer:
        return None
    text = referrer.strip()
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host.removeprefix("www.")


def channel_from_referrer(referrer: str | None, own_hosts: frozenset[str] = frozenset()) -> str | None:
    host = referrer_host(referrer)
    if host is None or host in own_hosts:
        return None
    labels = host.split(".")
    for label in labels[:-1]:  # never the top-level domain (".so", ".sm")
        if label in REFERRER_CHANNELS:
            return REFERRER_CHANNELS[label]
    return "referral"


def resolve_channel(
    *,
    campaign_channel: str | None,
    explicit: str | None,
    utm_medium: str | None,
    referrer: str | None,
    own_hosts: frozenset[str] = frozenset(),
) -> str:
    """The campaign's channel when the UTM triple matched one; else the sender's explicit channel; else the
    medium's; else the referrer's; else direct."""
    return (
        campaign_channel
        or explicit
        or channel_from_medium(utm_medium)
        or channel_from_referrer(referrer, own_hosts)
        or DIRECT_CHANNEL
    )
