"""Defences against hostile requests: who a login attempt comes from, when attempts
lock out, addresses carrying bytes no page here can take, and the Content Security
Policy on every response.

Failed logins lock the pair of account and address (django-axes), so guessing at an
account from one place never locks its owner out from another; a separate, higher
limit per address stops one address from trying a few passwords on every account.
"""

import ipaddress
from functools import cache

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware, get_nonce
from django.utils import translation
from django.utils.csp import CSP, build_policy
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(address: IPAddress) -> bool:
    return any(address in network for network in trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The address a request comes from.

    Without BEHIND_PROXY, the connection's own address. Behind a proxy, the proxy's
    X-Forwarded-For is read only when the connection comes from a trusted proxy, and
    from the right: each trusted proxy appends the address it saw, so the first address
    from the right that is not a trusted proxy is the client. What a client writes into
    the header itself sits further left and is never believed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    connection = parse_address(remote)
    if not settings.BEHIND_PROXY or connection is None or not is_trusted(connection):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    nearest = connection
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # A trusted proxy writes addresses; junk was written by someone else.
            break
        nearest = address
        if not is_trusted(address):
            break
    return str(nearest)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a second limit: failures from one address, whatever
    the account, up to AXES_ADDRESS_FAILURE_LIMIT within the cool-off period.

    Axes itself counts failures per account and address (AXES_LOCKOUT_PARAMETERS) up
    to AXES_FAILURE_LIMIT; its records carry the address, so the count per address is
    read from the same rows, and an administrator lifts both by deleting them.
    """

    def address_failures(self, request: HttpRequest) -> int:
        # axes' middleware sets the address on the request.
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)  # type: ignore[attr-defined]
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def address_locked(self, request: HttpRequest) -> bool:
        return self.address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or self.address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if self.address_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=credentials.get(settings.AXES_USERNAME_FORM_FIELD),  # type: ignore[misc]  # axes' default
                ip_address=request.axes_ip_address,
            )


def has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "%00" not in query and "\x00" not in query:
        return False  # the only ways a NUL gets into the decoded query: not parsed then
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class RejectNulMiddleware:
    """Refuses an address with a NUL byte (%00) in its path or query string.

    No slug, search or filter here contains one, and PostgreSQL cannot even compare
    text with one, so such a request is refused before any view runs: the API in its
    own error format (422), every other page with a plain message (400).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not has_nul(request):
            return self.get_response(request)
        language = translation.get_language_from_path(request.path_info)
        with translation.override(language or settings.LANGUAGE_CODE):
            message = _("The address contains a NUL character, which no page here uses.")
        if request.path_info.startswith("/api/"):
            problem = {"type": "nul_character", "loc": ["request"], "msg": message}
            return JsonResponse({"detail": [problem]}, status=422)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


# The policies as settings give them, built once: a response whose page used no nonce
# (every public page, cached or not) carries them as they are.
CONSTANT_POLICIES: dict[str, str] = {}


@receiver(setting_changed)
def _settings_changed(setting: str, **kwargs) -> None:
    if setting.startswith("SECURE_CSP"):
        CONSTANT_POLICIES.clear()


class PolicyMiddleware(ContentSecurityPolicyMiddleware):
    """Django's Content Security Policy, with the policy built once rather than on every
    response when no nonce was used and no view set its own (the admin's pages, which
    use the nonce, are built as Django builds them)."""

    def process_response(self, request, response):
        if (
            get_nonce(request)
            or "_csp_config" in vars(response)
            or "_csp_ro_config" in vars(response)
        ):
            return super().process_response(request, response)
        for header, name in (
            (CSP.HEADER_ENFORCE, "SECURE_CSP"),
            (CSP.HEADER_REPORT_ONLY, "SECURE_CSP_REPORT_ONLY"),
        ):
            if header in response:
                continue
            policy = CONSTANT_POLICIES.get(name)
            if policy is None:
                policy = CONSTANT_POLICIES[name] = build_policy(getattr(settings, name) or {})
            if policy:
                response.headers[str(header)] = policy
        return response
