"""The destination rule on its own: which addresses are public, what the operator's allow
list adds, what a URL's host spells out without DNS, and the check of every resolved address."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from pydantic import ValidationError

from datafab import netguard
from datafab.settings import Settings

NOBODY = netguard.allowlist("")

NOT_PUBLIC = [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.0.0.1", "private"),
    ("172.16.0.1", "private"), ("172.31.255.254", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"),
    ("100.64.0.1", "non-public"), ("224.0.0.1", "multicast"), ("255.255.255.255", "private"),
    ("240.0.0.1", "private"), ("::1", "loopback"), ("::", "unspecified"),
    ("fc00::1", "private"), ("fd12:3456::1", "private"), ("fe80::1", "link-local"),
    ("fec0::1", "site-local"), ("ff02::1", "multicast"),
    # IPv6 forms of IPv4 addresses are judged by the IPv4 address inside
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::a9fe:a9fe", "link-local"), ("2002:7f00:1::", "loopback"),
]
PUBLIC = ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8",
          "64:ff9b::808:808", "2002:808:808::"]


@pytest.mark.parametrize(("address", "kind"), NOT_PUBLIC)
def test_non_public_addresses_are_named(address, kind):
    ip = ipaddress.ip_address(address)
    assert not netguard.is_public(ip)
    assert netguard.describe(ip) == kind
    assert not NOBODY.permits(ip)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    ip = ipaddress.ip_address(address)
    assert netguard.is_public(ip) and NOBODY.permits(ip)


def test_the_allow_list_adds_networks_addresses_and_names():
    allowed = netguard.allowlist(" 10.0.0.0/8, 127.0.0.1 ,, [::1], Hooks.Internal. ")
    assert allowed.permits(ipaddress.ip_address("10.20.30.40"))
    assert allowed.permits(ipaddress.ip_address("::ffff:10.20.30.40"))  # the same address
    assert allowed.permits(ipaddress.ip_address("127.0.0.1"))
    assert allowed.permits(ipaddress.ip_address("::1"))
    assert not allowed.permits(ipaddress.ip_address("127.0.0.2"))
    assert not allowed.permits(ipaddress.ip_address("192.168.0.1"))
    assert allowed.trusts("hooks.internal") and allowed.trusts("HOOKS.internal.")
    assert not allowed.trusts("other.internal")


@pytest.mark.parametrize("bad", ["not a host", "10.0.0.0/33", "-x.org", "a..b", "x_y.org"])
def test_a_bad_allow_list_entry_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="neither a network"):
        netguard.allowlist(f"10.0.0.0/8,{bad}")
    with pytest.raises(ValidationError, match="webhook_allowed_networks"):
        Settings(webhook_allowed_networks=bad)


@pytest.mark.parametrize(("host", "means"), [
    ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("[::1]", "::1"),
    ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("example.org", None), ("face.cafe", None),
])
def test_literal_addresses_include_the_old_numeric_forms(host, means):
    got = netguard.literal(host)
    assert (str(got) if got is not None else None) == means


def test_refusal_before_dns():
    assert "loopback" in netguard.refusal("127.0.0.1", NOBODY)
    assert "2130706433 (127.0.0.1) is a loopback" in netguard.refusal("2130706433", NOBODY)
    assert "this server" in netguard.refusal("localhost", NOBODY)
    assert "this server" in netguard.refusal("api.LOCALHOST", NOBODY)
    assert "link-local" in netguard.refusal("169.254.169.254", NOBODY)
    assert netguard.refusal("hooks.example.org", NOBODY) is None  # checked when resolved
    assert netguard.refusal("8.8.8.8", NOBODY) is None
    assert netguard.refusal("127.0.0.1", netguard.allowlist("127.0.0.0/8")) is None
    assert netguard.refusal("localhost", netguard.allowlist("localhost")) is None
    assert netguard.refusal("localhost", netguard.allowlist("127.0.0.1")) is not None


def _answer(monkeypatch, table):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in table[host]]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_every_resolved_address_must_pass(monkeypatch):
    _answer(monkeypatch, {"public.test": ["93.184.216.34", "2606:4700::1"],
                          "mixed.test": ["93.184.216.34", "10.0.0.7"],
                          "meta.test": ["169.254.169.254"], "none.test": []})
    assert [str(a) for a in netguard.resolve("public.test", 443, NOBODY)] == [
        "93.184.216.34", "2606:4700::1"]
    with pytest.raises(netguard.Refused, match=r"mixed.test resolves to 10.0.0.7, which is "
                                               r"a private address.*ALLOWED_NETWORKS"):
        netguard.resolve("mixed.test", 443, NOBODY)
    with pytest.raises(netguard.Refused, match="link-local"):
        netguard.resolve("meta.test", 80, NOBODY)
    assert netguard.resolve("meta.test", 80, netguard.allowlist("169.254.0.0/16"))
    assert netguard.resolve("mixed.test", 80, netguard.allowlist("mixed.test"))
    with pytest.raises(OSError, match="no address"):
        netguard.resolve("none.test", 80, NOBODY)
