"""How many times an address may post a readers' form (evidence, follow), counted in the
shared cache by django-ratelimit.

Three answers, not two: under the limit, over it, or unknown because the cache cannot be
reached. Unknown is refused like over (nothing is taken without a count), but the reader
is told the truth: the site, not their address, is the reason (503, not 429)."""

import enum
import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from tracker.ops.security import client_ip


class Limit(enum.Enum):
    UNDER = "under"
    OVER = "over"
    UNKNOWN = "unknown"


def sender(address: str) -> str:
    """Who sends, as far as an address tells: an IPv4 address, or an IPv6 address's
    /64 network (one household or machine is given a whole /64, and may use any address
    in it: counted per address, it would never reach a limit)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def address_hash(request: HttpRequest) -> str:
    """The sender (`sender`), keyed with the site's secret: the same sender is
    recognisable, the address itself is not kept."""
    return hmac.new(
        settings.SECRET_KEY.encode(), sender(client_ip(request)).encode(), hashlib.sha256
    ).hexdigest()


def by_address(group: str, request: HttpRequest) -> str:
    return address_hash(request)


def count_post(request: HttpRequest, *, group: str, rate: str) -> Limit:
    """Count this POST against the address's limit for `group`, and say where it stands."""
    usage = get_usage(
        request, group=group, key=by_address, rate=rate, method="POST", increment=True
    )
    if usage is None:
        # Only with RATELIMIT_FAIL_OPEN, which this site leaves off.
        return Limit.UNDER
    if usage["limit"] == 0 and usage["time_left"] == -1:
        # django-ratelimit's answer when the cache could not give a count.
        return Limit.UNKNOWN
    return Limit.OVER if usage["should_limit"] else Limit.UNDER


def refusal(
    request: HttpRequest, *, group: str, rate: str, context: dict, over_template: str
) -> HttpResponse | None:
    """The page refusing this POST (503 with the cache down, 429 over the limit), or
    None when the form may take it."""
    limit = count_post(request, group=group, rate=rate)
    if limit is Limit.UNKNOWN:
        return render(request, "tracker/form_unavailable.html", context, status=503)
    if limit is Limit.OVER:
        return render(request, over_template, context, status=429)
    return None
