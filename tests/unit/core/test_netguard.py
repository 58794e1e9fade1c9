"""The SSRF rules for URLs clients ask us to call."""

import ipaddress

import pytest

from admint.core.netguard import UnsafeUrl, forbidden_reason, parse_target, vetted

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::",
])
def test_inward_addresses_are_refused(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://user:pw@example.com/",
                                 "http:///nohost", "https://example.com:99999/", "gopher://example.com"])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        parse_target(url)


def test_a_target_keeps_path_query_and_default_ports() -> None:
    target = parse_target("https://Hooks.Example.com/a/b?x=1")
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.example.com", 443, "/a/b?x=1")
    assert parse_target("http://example.com").port == 80 and parse_target("http://example.com").path == "/"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/",
                                 "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/"])
async def test_names_and_literals_that_lead_inward_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="public addresses"):
        await vetted(url, allow_private=False)
    target, addresses = await vetted(url, allow_private=True)
    assert all(forbidden_reason(ip) is not None for ip in addresses) and target.scheme == "http"
