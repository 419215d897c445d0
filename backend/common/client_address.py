"""The client's address, the same way for the login lockout, the throttle and the audit log.

Behind TRUSTED_PROXY_COUNT reverse proxies the client is the address that many hops from the
right of X-Forwarded-For; with none, it is the connecting address. A client cannot choose it
by sending its own X-Forwarded-For header.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
