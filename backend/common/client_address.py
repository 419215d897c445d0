"""The client's address, the same way for the login lockout, the throttle and the audit log.

Behind TRUSTED_PROXY_COUNT reverse proxies the client is the address that many hops from the
right of X-Forwarded-For; with none, it is the connecting address. A client cannot choose it
by sending its own X-Forwarded-For header: the header is read only on a connection from one of
TRUSTED_PROXY_ADDRESSES (the proxies' networks). Someone who reaches gunicorn directly, past the
proxy, from anywhere else is known by the address they connect from, whatever they send.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(addresses: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(address.strip(), strict=False) for address in addresses)


def trusted_proxy_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXY_ADDRESSES))


def _from_trusted_proxy(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in network for network in trusted_proxy_networks())


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded or not _from_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]


def proxy_setting_problems(count: int, addresses: list[str] | tuple[str, ...]) -> list[str]:
    """What makes the proxy settings unsafe or unusable; checked at start-up (manage.py's
    system checks and backend/wsgi.py), so a server that would let clients choose their own
    address never starts."""
    if count < 0:
        return ["TRUSTED_PROXY_COUNT must be 0 or more."]
    problems: list[str] = []
    networks: list[Network] = []
    for address in addresses:
        try:
            networks.append(ipaddress.ip_network(address.strip(), strict=False))
        except ValueError:
            problems.append(f"TRUSTED_PROXY_ADDRESSES: '{address}' is not an address or network.")
    if count == 0:
        return problems
    if not networks and not problems:
        problems.append(
            "TRUSTED_PROXY_COUNT is set but TRUSTED_PROXY_ADDRESSES is empty: name the networks "
            "your reverse proxies connect from."
        )
    for network in networks:
        if network.prefixlen == 0:
            problems.append(
                f"TRUSTED_PROXY_ADDRESSES includes {network}, every address: anyone reaching "
                "gunicorn directly could choose the address the lockout and audit log see."
            )
    return problems
