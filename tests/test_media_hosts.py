"""Web image hosts (DATAFAB_MEDIA_HOSTS): which origins a deployment may name, which image
addresses they admit, and the pages' content-security policy that allows them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from datafab import media_hosts as hosts
from datafab.settings import Settings
from datafab.web.headers import PAGE_POLICY, with_image_hosts


def test_origins_are_checked_and_normalised():
    assert hosts.parse(" https://Img.Example.com/, http://*.cdn.example:8080 ,") == (
        "https://img.example.com", "http://*.cdn.example:8080")
    assert Settings(media_hosts="https://img.example.com").media_hosts == (
        "https://img.example.com")
    for bad in ("img.example.com", "ftp://img.example.com", "https://img.example.com/path",
                "https://x.example; script-src *", "https://*", "https://a b.example",
                "https://x.example:99999"):
        with pytest.raises(ValueError, match="origin"):
            hosts.parse(bad)
    with pytest.raises(ValidationError, match="media_hosts"):
        Settings(media_hosts="https://x.example 'unsafe-inline'")


@pytest.mark.parametrize(("url", "shown"), [
    ("https://img.example.com/a.jpg", True),
    ("https://img.example.com:443/a.jpg", False),  # the origin names no port
    ("http://img.example.com/a.jpg", False),
    ("https://img.example.com.evil.example/a.jpg", False),
    ("https://eu.cdn.example:8443/x/y.png?v=2", True),
    ("https://cdn.example:8443/y.png", False),  # *. is a subdomain
    ("https://eu.cdn.example/y.png", False),
    ("javascript:alert(1)", False),
    ("https://[::1/a.png", False),
])
def test_which_images_are_shown(url, shown):
    origins = hosts.parse("https://img.example.com, https://*.cdn.example:8443")
    assert hosts.allowed(url, origins) is shown
    assert not hosts.allowed(url, ())


def test_the_policy_names_the_hosts():
    assert with_image_hosts("")[0][1].decode() == PAGE_POLICY
    policy = dict(with_image_hosts("https://img.example.com,https://*.cdn.example"))
    text = policy[b"content-security-policy"].decode()
    assert "img-src 'self' data: https://img.example.com https://*.cdn.example;" in text
    assert "script-src 'self';" in text and policy[b"x-frame-options"] == b"DENY"
