"""Where Datafab may send a request on a tenant's behalf (webhooks, Scale callbacks).

A tenant chooses the URL, so without a rule it could make the server POST into the network
it runs in: loopback, private ranges, link-local (169.254.169.254 is the cloud metadata
service), and so on. The rule: an address is reachable if it is public — globally routable,
not multicast or reserved — or the operator listed it in ``webhook_allowed_networks``
(networks such as ``10.1.0.0/16``, single addresses, or host names trusted whatever they
resolve to). An IPv6 address that carries an IPv4 one (``::ffff:10.0.0.1``, 6to4, NAT64) is
judged by the IPv4 address inside.

Two moments use it: ``refusal`` when a URL is given (only what is known without DNS: a
literal address or a ``localhost`` name), and ``resolve`` when a request is about to be
sent (every address the name resolves to must pass; the caller connects to those).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from dataclasses import dataclass, field

from datafab.errors import DatafabError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "DATAFAB_WEBHOOK_ALLOWED_NETWORKS"
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_LEGACY_IPV4 = re.compile(r"[0-9a-fx.]+")  # 2130706433, 0x7f000001, 127.1, 0177.0.0.1


class Refused(DatafabError):
    """A request's destination is not public and the operator has not allowed it."""

    type = "destination_refused"
    status = 422


@dataclass(frozen=True)
class Allowlist:
    """What the operator allows beyond public addresses."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    def permits(self, address: IPAddress) -> bool:
        if is_public(address):
            return True
        forms = {address, embedded(address)}
        return any(form in network for form in forms for network in self.networks)

    def trusts(self, host: str) -> bool:
        return _normal(host) in self.hosts


@functools.lru_cache(maxsize=16)
def allowlist(spec: str) -> Allowlist:
    """Parse the setting: comma-separated networks (CIDR), addresses and host names."""
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for raw in spec.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        name = _normal(entry)
        if len(name) > 253 or not all(_HOST_LABEL.fullmatch(p) for p in name.split(".")):
            raise ValueError(f"{entry!r} is neither a network (10.0.0.0/8), an address "
                             "(127.0.0.1) nor a host name (hooks.internal)")
        hosts.add(name)
    return Allowlist(tuple(networks), frozenset(hosts))


def embedded(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, multicast, reserved."""
    return describe(address) is None


def describe(address: IPAddress) -> str | None:
    """What kind of non-public address this is (for messages); None if it is public."""
    a = embedded(address)
    checks = (
        (a.is_unspecified, "unspecified"),
        (a.is_loopback, "loopback"),
        (a.is_link_local, "link-local"),
        (a.is_multicast, "multicast"),
        (a.is_private, "private"),
        (a.is_reserved, "reserved"),
        (getattr(a, "is_site_local", False), "site-local"),
        (not a.is_global, "non-public"),
    )
    return next((kind for hit, kind in checks if hit), None)


def literal(host: str) -> IPAddress | None:
    """The address a URL's host spells out without DNS, including the old numeric IPv4
    forms resolvers still accept (``2130706433``, ``0x7f.1``); None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_localhost(host: str) -> bool:
    name = _normal(host)
    return name == "localhost" or name.endswith(".localhost")


def refusal(host: str, allowed: Allowlist) -> str | None:
    """Why a URL naming ``host`` is refused before any DNS lookup; None if it may be kept."""
    if allowed.trusts(host):
        return None
    if is_localhost(host):
        return f"{host} is this server (loopback)"
    address = literal(host)
    if address is not None and not allowed.permits(address):
        shown = host if host == str(address) else f"{host} ({address})"
        return f"{shown} is {_kind(address)}"
    return None


def resolve(host: str, port: int, allowed: Allowlist) -> list[IPAddress]:
    """Every address ``host`` resolves to, once all have passed the rule; connect to these
    (not to the name again) so a second lookup cannot answer differently. Raises ``Refused``
    if any address is not allowed, ``OSError`` if the name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    if allowed.trusts(host):
        return addresses
    for address in addresses:
        if not allowed.permits(address):
            shown = host if host == str(address) else f"{host} resolves to {address}, which"
            raise Refused(f"{shown} is {_kind(address)}; webhooks go only to public addresses "
                          f"unless the operator allows it in {SETTING}")
    return addresses


def _kind(address: IPAddress) -> str:
    kind = describe(address) or "public"
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"


def _normal(host: str) -> str:
    return host.strip().lower().rstrip(".")


MODEL_SETTING = "DATAFAB_MODEL_ALLOWED_NETWORKS"


def networks(spec: str) -> tuple[IPNetwork, ...]:
    """Comma-separated networks (CIDR) or single addresses; ``ValueError`` on anything else."""
    out: list[IPNetwork] = []
    for raw in spec.split(","):
        entry = raw.strip()
        if entry:
            try:
                out.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not a network (10.0.0.0/8) or an "
                                 "address") from exc
    return tuple(out)


def model_refusal(host: str, port: int, spec: str) -> str | None:
    """Why a model endpoint at ``host`` may not work restricted projects (every address it
    resolves to must lie inside one of the networks of ``spec``); None if it may."""
    allowed = networks(spec)
    if not allowed:
        return f"no model may work restricted projects while {MODEL_SETTING} is empty"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"{host} does not resolve ({exc})"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not any(form in net for form in {address, embedded(address)} for net in allowed):
            return f"{host} ({address}) is outside {MODEL_SETTING}"
    return None
