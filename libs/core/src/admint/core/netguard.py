"""Outbound URLs given by clients (webhooks) must not reach our own network: the SSRF rules, in one place.

Only http(s) URLs without credentials; every address the host resolves to must be globally routable — no
loopback, private, link-local, shared, reserved or multicast address — unless `allow_private` (development and
tests only). The gateway checks a URL when it is registered; the notifier resolves it again at every attempt and
connects to the very address it checked, so a DNS answer that changes in between (rebinding) cannot point it
inward.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be called (the message says why, for the client)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    """Path and query, as sent."""


def forbidden_reason(ip: IpAddress) -> str | None:
    """Why an address is not a public destination, or None when it is."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a reserved address"
    return None


def parse_target(url: str) -> Target:
    """Syntax rules (no resolution): http(s), a host, no user:password, a valid port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs are allowed")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("credentials in the URL are not allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path)


def literal_ip(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_addresses(host: str, addresses: list[IpAddress], allow_private: bool) -> None:
    if not addresses:
        raise UnsafeUrl(f"{host} does not resolve to any address")
    if allow_private:
        return
    for ip in addresses:
        reason = forbidden_reason(ip)
        if reason:
            raise UnsafeUrl(f"{host} resolves to {ip}, {reason}; webhooks may only call public addresses")


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address of `host` (an IP literal resolves to itself)."""
    ip = literal_ip(host)
    if ip is not None:
        return [ip]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeUrl(f"{host} cannot be resolved: {exc.strerror}") from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


async def vetted(url: str, allow_private: bool) -> tuple[Target, list[IpAddress]]:
    """The target and its checked addresses to connect to, in resolver order; UnsafeUrl when the URL may not be
    called (any address of the name leading inward refuses it: a name cannot mix public and private answers)."""
    target = parse_target(url)
    addresses = await resolve(target.host, target.port)
    check_addresses(target.host, addresses, allow_private)
    return target, addresses
