"""Where callbacks may go: http(s) URLs whose every address is public (or allowed).

A callback URL is chosen by whoever submits a job, and the service then makes requests
to it from inside its network: without a check, anyone could have it POST to the
metadata service, a database's HTTP port or an admin page on loopback (SSRF). So a URL
is refused at submission, and again before each attempt, when its host resolves to any
address that is not public (loopback, private, link-local, shared, multicast, reserved,
unspecified), unless the address lies in ``AUTOPKG_CALLBACK_ALLOWED_NETWORKS``. Every
resolved address is checked, not the first, and the request is then made to the
address that was checked (:class:`Resolved`), so a name that resolves differently a
moment later (DNS rebinding) cannot lead the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import SplitResult, urlsplit

from autopkg.config import Settings
from autopkg.db.deliveries import Role, Target
from autopkg.errors import UnprocessableError

#: Longest callback URL taken (a URL is stored and indexed with its job).
MAX_URL_LENGTH = 2000
_DEFAULT_PORTS = {"http": 80, "https": 443}

# What each role is called in the request that gave it, for messages.
FIELDS = {
    Role.NOTIFY: "notify_url",
    Role.IN_PROGRESS: "subscriber.inProgressUri",
    Role.SUCCESS: "subscriber.successUri",
    Role.FAILED: "subscriber.failedUri",
}

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class RefusedTargetError(UnprocessableError):
    """A callback URL the service will not send to; the message says why."""

    code = "callback_refused"


@dataclass(frozen=True)
class Resolved:
    """A vetted URL and the address a request to it is to be made to."""

    url: SplitResult
    host: str
    port: int
    address: Address


def _parse(url: str, field: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise RefusedTargetError(f"{field}: longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise RefusedTargetError(f"{field}: not a valid URL ({exc})") from None
    if parts.scheme not in _DEFAULT_PORTS or not url.startswith(f"{parts.scheme}://"):
        raise RefusedTargetError(f"{field}: only http:// and https:// URLs can be called back")
    if parts.username is not None or parts.password is not None:
        raise RefusedTargetError(
            f"{field}: credentials in the URL are not accepted (they would be stored "
            "with the job); authenticate the callback by its signature instead"
        )
    if not parts.hostname:
        raise RefusedTargetError(f"{field}: the URL has no host")
    return parts


def _why_refused(address: Address, allowed: Sequence[Network]) -> str | None:
    # An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 one.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed):
        return None
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if flag:
            return kind
    return None if address.is_global else "not public"


def _addresses(host: str, port: int) -> list[Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedTargetError(f"its host {host!r} cannot be resolved ({exc})") from None
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in found:
        # An IPv6 scope (fe80::1%eth0) is not part of the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def resolve(url: str, allowed: Sequence[Network], *, field: str = "callback URL") -> Resolved:
    """Vet ``url`` and resolve its host; the first address, once every one is allowed.

    Raises:
        RefusedTargetError: not an http(s) URL, credentials in it, a host that does
            not resolve, or any address not public and not in ``allowed``; the message
            names ``field`` and the reason.
    """
    parts = _parse(url, field)
    host = parts.hostname or ""
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    try:
        addresses = _addresses(host, port)
    except RefusedTargetError as exc:
        raise RefusedTargetError(f"{field}: {exc.message}") from None
    for address in addresses:
        reason = _why_refused(address, allowed)
        if reason is not None:
            raise RefusedTargetError(
                f"{field}: {host} resolves to {address}, a {reason} address; callbacks go "
                "only to public addresses (an operator can allow networks with "
                "AUTOPKG_CALLBACK_ALLOWED_NETWORKS)"
            )
    if not addresses:
        raise RefusedTargetError(f"{field}: its host {host!r} resolves to no address")
    return Resolved(url=parts, host=host, port=port, address=addresses[0])


def check(settings: Settings, targets: Sequence[Target]) -> None:
    """Refuse callbacks this service cannot sign, and URLs it will not call.

    Raises:
        UnprocessableError: callbacks are off (``AUTOPKG_CALLBACK_SECRET`` unset), or a
            URL is not acceptable (:class:`RefusedTargetError`, see :func:`resolve`).
    """
    if not targets:
        return
    if settings.callback_secret is None:
        raise UnprocessableError(
            f"{FIELDS[targets[0].role]}: callbacks are not enabled on this service (its "
            "operator has not set AUTOPKG_CALLBACK_SECRET, which signs them); poll the job "
            "instead"
        )
    for target in targets:
        resolve(target.url, settings.callback_allowed_networks, field=FIELDS[target.role])
