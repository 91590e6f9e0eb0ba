"""Which callback URLs are refused, and why (SSRF): checked on real name resolution."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_network
from pathlib import Path

import pytest

from autopkg.db.deliveries import Role, Target
from autopkg.errors import UnprocessableError
from autopkg.jobs.callback_targets import RefusedTargetError, check, resolve
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/hook", "private"),
        ("http://192.168.1.20:8080/hook", "private"),
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:10.0.0.1]/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://100.64.0.1/hook", "not public"),
        ("http://240.0.0.1/hook", "reserved"),
    ],
)
def test_addresses_that_are_not_public_are_refused(url: str, reason: str) -> None:
    with pytest.raises(RefusedTargetError) as refused:
        resolve(url, [], field="notify_url")
    assert refused.value.status_code == 422
    assert refused.value.message.startswith("notify_url: ")
    assert f"a {reason} address" in refused.value.message


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.org/hook", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("https://user:secret@example.org/hook", "credentials in the URL"),
        ("http:///hook", "no host"),
        ("http://example.org:99999/hook", "not a valid URL"),
        ("http://" + "a" * 2000 + ".org/", "longer than 2000"),
        ("http://no-such-host.invalid/hook", "cannot be resolved"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(url: str, words: str) -> None:
    with pytest.raises(RefusedTargetError) as refused:
        resolve(url, [])
    assert words in refused.value.message


def test_allowed_networks_let_their_addresses_through_and_no_others() -> None:
    allowed = [ip_network("127.0.0.0/8")]
    resolved = resolve("http://127.0.0.1:8123/hook?x=1", allowed)
    assert resolved.address == IPv4Address("127.0.0.1")
    assert (resolved.host, resolved.port, resolved.url.query) == ("127.0.0.1", 8123, "x=1")
    with pytest.raises(RefusedTargetError, match="private"):
        resolve("http://10.0.0.1/hook", allowed)


def test_a_public_address_is_taken_with_the_default_port() -> None:
    resolved = resolve("https://93.184.215.14/hook", [])
    assert (resolved.address, resolved.port) == (IPv4Address("93.184.215.14"), 443)


def test_callbacks_are_refused_without_a_secret_and_checked_with_one(tmp_path: Path) -> None:
    hook = [Target(Role.SUCCESS, "http://127.0.0.1:9/hook")]
    with pytest.raises(UnprocessableError) as off:
        check(make_settings(tmp_path), hook)
    assert "subscriber.successUri: callbacks are not enabled" in off.value.message
    assert "AUTOPKG_CALLBACK_SECRET" in off.value.message
    keyed = make_settings(tmp_path, callback_secret="s3cret")
    with pytest.raises(RefusedTargetError, match="loopback"):
        check(keyed, hook)
    allowed = make_settings(
        tmp_path, callback_secret="s3cret", callback_allowed_networks="127.0.0.1/32,::1"
    )
    assert allowed.callback_allowed_networks == [ip_network("127.0.0.1/32"), ip_network("::1")]
    check(allowed, hook)
    check(make_settings(tmp_path), [])
