"""Which webhook URLs the service accepts: the server-side request forgery rules of UrlPolicy."""

from __future__ import annotations

import ipaddress

import pytest

from integration.domain.errors import InvalidFieldError
from integration.domain.url_policy import MAX_URL_LENGTH, UrlPolicy, parse_host_address

STRICT = UrlPolicy()
LOCAL = UrlPolicy(allow_http=True, allow_loopback=True)


def refusal(policy: UrlPolicy, url: str) -> InvalidFieldError:
    with pytest.raises(InvalidFieldError) as caught:
        policy.check(url)
    return caught.value


# ------------------------------------------------------------------ refused by the default policy

REFUSED_FORM = [
    pytest.param("http://example.com/hook", id="http-not-allowed"),
    pytest.param("ftp://example.com/hook", id="ftp"),
    pytest.param("file:///etc/passwd", id="file"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("/relative/hook", id="relative-path"),
    pytest.param("example.com/hook", id="no-scheme"),
    pytest.param("//example.com/hook", id="scheme-relative"),
    pytest.param("https://user:pw@example.com/hook", id="user-and-password"),
    pytest.param("https://user@example.com/hook", id="user-only"),
    pytest.param("https://:pw@example.com/hook", id="password-only"),
    pytest.param("https://@example.com/hook", id="empty-userinfo"),
    pytest.param("https://example.com\\@127.0.0.1/", id="backslash-userinfo"),
    pytest.param("https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/") + 1), id="over-long"),
    pytest.param("https://exa mple.com/hook", id="space-in-host"),
    pytest.param("https://example.com/ho ok", id="space-in-path"),
    pytest.param("https://example.com/hook\n", id="newline"),
    pytest.param("https://example.com/\thook", id="tab"),
    pytest.param("https://example.com/\rhook", id="carriage-return"),
    pytest.param("https://example.com/\x00", id="nul"),
    pytest.param("https://example.com/\x1b", id="escape"),
    pytest.param("https://example.com/\u2028", id="line-separator"),
    pytest.param("https://example.com/\u00a0", id="no-break-space"),
    pytest.param("https://example.com:0/hook", id="port-0"),
    pytest.param("https://example.com:99999/hook", id="port-out-of-range"),
    pytest.param("https://example.com:abc/hook", id="port-not-a-number"),
    pytest.param("https:///hook", id="empty-host"),
    pytest.param("https://", id="scheme-only"),
    pytest.param("https:example.com", id="no-authority"),
    pytest.param("https://[::1/hook", id="unclosed-ipv6-bracket"),
    pytest.param("https://-bad.example.com/", id="label-starts-with-hyphen"),
    pytest.param("https://a..example.com/", id="empty-label"),
    pytest.param("https://1.2.3.999/", id="numeric-tld-not-an-address"),
    pytest.param("https://example.123/", id="numeric-tld"),
]

REFUSED_HOSTS = [
    # loopback, in every spelling a resolver accepts
    pytest.param("127.0.0.1", id="loopback-dotted"),
    pytest.param("127.1", id="loopback-short"),
    pytest.param("127.0.0.1.", id="loopback-trailing-dot"),
    pytest.param("2130706433", id="loopback-decimal"),
    pytest.param("0x7f000001", id="loopback-hex"),
    pytest.param("0X7F000001", id="loopback-hex-upper"),
    pytest.param("0x7f.0.0.1", id="loopback-hex-octet"),
    pytest.param("0x7f.1", id="loopback-hex-short"),
    pytest.param("0177.0.0.1", id="loopback-octal-octet"),
    pytest.param("017700000001", id="loopback-octal"),
    pytest.param("127.0.0.01", id="loopback-octal-last"),
    pytest.param("\uff11\uff12\uff17.0.0.1", id="loopback-fullwidth-digits"),
    pytest.param("[::1]", id="ipv6-loopback"),
    pytest.param("[0:0:0:0:0:0:0:1]", id="ipv6-loopback-long"),
    pytest.param("[::ffff:127.0.0.1]", id="ipv4-mapped-loopback-dotted"),
    pytest.param("[::ffff:7f00:1]", id="ipv4-mapped-loopback-hex"),
    pytest.param("[0:0:0:0:0:ffff:7f00:1]", id="ipv4-mapped-loopback-long"),
    pytest.param("[::127.0.0.1]", id="ipv4-compatible-loopback"),
    # cloud metadata / link-local
    pytest.param("169.254.169.254", id="metadata-dotted"),
    pytest.param("2852039166", id="metadata-decimal"),
    pytest.param("0xa9fea9fe", id="metadata-hex"),
    pytest.param("0251.0376.0251.0376", id="metadata-octal"),
    pytest.param("169.254.43518", id="metadata-short"),
    pytest.param("[::ffff:169.254.169.254]", id="metadata-ipv4-mapped"),
    pytest.param("[::ffff:a9fe:a9fe]", id="metadata-ipv4-mapped-hex"),
    pytest.param("[fe80::1]", id="ipv6-link-local"),
    pytest.param("[fe80::1%25eth0]", id="ipv6-link-local-zone"),
    # private, shared, unspecified, multicast, broadcast, reserved, documentation
    pytest.param("10.0.0.1", id="private-10"),
    pytest.param("172.16.0.1", id="private-172-16"),
    pytest.param("172.31.255.254", id="private-172-31"),
    pytest.param("192.168.1.1", id="private-192-168"),
    pytest.param("[::ffff:10.0.0.1]", id="private-ipv4-mapped"),
    pytest.param("100.64.0.1", id="carrier-grade-nat"),
    pytest.param("0.0.0.0", id="unspecified-dotted"),
    pytest.param("0", id="unspecified-zero"),
    pytest.param("0x0", id="unspecified-hex"),
    pytest.param("224.0.0.1", id="multicast"),
    pytest.param("255.255.255.255", id="broadcast"),
    pytest.param("240.0.0.1", id="reserved-class-e"),
    pytest.param("192.0.2.1", id="documentation-test-net-1"),
    pytest.param("198.18.0.1", id="benchmarking"),
    pytest.param("[ff02::1]", id="ipv6-multicast"),
    pytest.param("[fc00::1]", id="ipv6-unique-local"),
    pytest.param("[fd12:3456::1]", id="ipv6-unique-local-fd"),
    pytest.param("[::]", id="ipv6-unspecified"),
    pytest.param("[2001:db8::1]", id="ipv6-documentation"),
    pytest.param("[100::1]", id="ipv6-discard"),
    # IPv6 forms that embed a forbidden IPv4 address
    pytest.param("[2002:a9fe:a9fe::]", id="6to4-metadata"),
    pytest.param("[2002:7f00:1::]", id="6to4-loopback"),
    pytest.param("[64:ff9b::a9fe:a9fe]", id="nat64-metadata"),
    pytest.param("[64:ff9b::127.0.0.1]", id="nat64-loopback"),
    pytest.param("[64:ff9b:1::a9fe:a9fe]", id="nat64-local-use-metadata"),
    pytest.param("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", id="teredo"),
    # names that are loopback by definition
    pytest.param("localhost", id="localhost"),
    pytest.param("LOCALHOST.", id="localhost-upper-trailing-dot"),
    pytest.param("LocalHost", id="localhost-mixed-case"),
    pytest.param("foo.localhost", id="subdomain-of-localhost"),
    pytest.param("a.b.LOCALHOST", id="deep-subdomain-of-localhost"),
    pytest.param("localhost.localdomain", id="localhost-localdomain"),
    pytest.param("ip6-localhost", id="ip6-localhost"),
    pytest.param("ip6-loopback", id="ip6-loopback"),
    pytest.param(
        "\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54",
        id="localhost-fullwidth",
    ),
]


@pytest.mark.parametrize("url", REFUSED_FORM)
def test_a_malformed_or_unsafe_url_is_refused_on_the_url_field(url: str) -> None:
    error = refusal(STRICT, url)

    assert error.field == "url"
    assert [field for field, _ in error.errors] == ["url"]
    assert error.message


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_a_non_public_host_is_refused_in_every_spelling(host: str) -> None:
    error = refusal(STRICT, f"https://{host}/hook")

    assert error.field == "url"
    assert [field for field, _ in error.errors] == ["url"]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_a_non_public_host_is_refused_with_a_port_too(host: str) -> None:
    error = refusal(STRICT, f"https://{host}:8443/hook")

    assert error.field == "url"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://example.com/\x7f", id="delete"),
        pytest.param("https://example.com/\x80", id="c1-padding"),
        pytest.param("https://example.com/\x9b", id="c1-control-sequence-introducer"),
        pytest.param("https://example.com/\x85", id="c1-next-line"),
        pytest.param("https://example.com/\x1f", id="unit-separator"),
    ],
)
def test_every_control_character_is_refused(url: str) -> None:
    error = refusal(STRICT, url)

    assert error.field == "url"
    assert "control" in error.message


def test_the_refusal_can_name_another_field() -> None:
    with pytest.raises(InvalidFieldError) as caught:
        STRICT.check("http://example.com/", field="callback")

    assert caught.value.field == "callback"


# ------------------------------------------------------------------ accepted

ACCEPTED = [
    pytest.param("https://example.com/hook", id="plain"),
    pytest.param("https://example.com:8443/x?y=1", id="port-and-query"),
    pytest.param("https://example.com:65535/x", id="highest-port"),
    pytest.param("HTTPS://Example.COM/Hook", id="upper-case-scheme-and-host"),
    pytest.param("https://hooks.example.co.uk/a/b/c?x=1&y=2#frag", id="path-query-fragment"),
    pytest.param("https://8.8.8.8/", id="public-ipv4"),
    pytest.param("https://[2606:4700:4700::1111]/", id="public-ipv6"),
    pytest.param("https://[::ffff:8.8.8.8]/", id="ipv4-mapped-public"),
    pytest.param("https://bücher.example/hook", id="idn-latin"),
    pytest.param("https://例え.jp/hook", id="idn-cjk"),
    pytest.param("https://xn--bcher-kva.example/hook", id="punycode"),
    pytest.param("https://my-service.localhost.example.com/", id="localhost-as-inner-label"),
    pytest.param("https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/")), id="exactly-max-length"),
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_a_public_https_url_is_accepted_unchanged(url: str) -> None:
    assert STRICT.check(url) == url


# ------------------------------------------------------------------ local runtime settings


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://127.0.0.1:9000/x", id="loopback-ipv4"),
        pytest.param("http://localhost:9000", id="localhost"),
        pytest.param("http://[::1]:9000", id="loopback-ipv6"),
        pytest.param("http://127.1:9000/x", id="loopback-short"),
        pytest.param("http://[::ffff:127.0.0.1]:9000/", id="loopback-ipv4-mapped"),
        pytest.param("http://example.com/hook", id="public-http"),
        pytest.param("https://example.com/hook", id="public-https"),
    ],
)
def test_the_local_runtime_accepts_http_and_loopback(url: str) -> None:
    assert LOCAL.check(url) == url


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://10.0.0.1/hook", id="private-10"),
        pytest.param("http://169.254.169.254/latest/meta-data/", id="metadata"),
        pytest.param("http://0xa9fea9fe/", id="metadata-hex"),
        pytest.param("http://[::ffff:169.254.169.254]/", id="metadata-ipv4-mapped"),
        pytest.param("http://192.168.0.1/", id="private-192-168"),
        pytest.param("http://[fc00::1]/", id="ipv6-unique-local"),
        pytest.param("http://0.0.0.0:9000/", id="unspecified"),
        pytest.param("ftp://localhost/", id="ftp"),
        pytest.param("http://user:pw@localhost:9000/", id="credentials"),
    ],
)
def test_the_local_runtime_still_refuses_everything_but_loopback(url: str) -> None:
    assert refusal(LOCAL, url).field == "url"


def test_allowing_http_alone_does_not_allow_loopback() -> None:
    policy = UrlPolicy(allow_http=True)

    assert policy.check("http://example.com/hook") == "http://example.com/hook"
    assert refusal(policy, "http://127.0.0.1:9000/").field == "url"
    assert refusal(policy, "http://localhost:9000/").field == "url"


def test_allowing_loopback_alone_does_not_allow_http() -> None:
    policy = UrlPolicy(allow_loopback=True)

    assert policy.check("https://localhost:9000/") == "https://localhost:9000/"
    assert refusal(policy, "http://localhost:9000/").field == "url"


# ------------------------------------------------------------------ address_allowed / parse_host_address


@pytest.mark.parametrize(
    ("address", "strict", "local"),
    [
        pytest.param("8.8.8.8", True, True, id="public-ipv4"),
        pytest.param("2606:4700:4700::1111", True, True, id="public-ipv6"),
        pytest.param("::ffff:8.8.8.8", True, True, id="ipv4-mapped-public"),
        pytest.param("127.0.0.1", False, True, id="loopback-ipv4"),
        pytest.param("127.255.255.254", False, True, id="loopback-range"),
        pytest.param("::1", False, True, id="loopback-ipv6"),
        pytest.param("::ffff:127.0.0.1", False, True, id="ipv4-mapped-loopback"),
        pytest.param("169.254.169.254", False, False, id="metadata"),
        pytest.param("::ffff:169.254.169.254", False, False, id="ipv4-mapped-metadata"),
        pytest.param("2002:a9fe:a9fe::", False, False, id="6to4-metadata"),
        pytest.param("64:ff9b::a9fe:a9fe", False, False, id="nat64-metadata"),
        pytest.param("fe80::1", False, False, id="ipv6-link-local"),
        pytest.param("10.1.2.3", False, False, id="private"),
        pytest.param("100.64.0.1", False, False, id="carrier-grade-nat"),
        pytest.param("0.0.0.0", False, False, id="unspecified"),
        pytest.param("::", False, False, id="ipv6-unspecified"),
        pytest.param("224.0.0.1", False, False, id="multicast"),
        pytest.param("ff02::1", False, False, id="ipv6-multicast"),
        pytest.param("240.0.0.1", False, False, id="reserved"),
        pytest.param("fc00::1", False, False, id="ipv6-unique-local"),
    ],
)
def test_address_allowed_on_parsed_addresses(address: str, strict: bool, local: bool) -> None:
    parsed = ipaddress.ip_address(address)

    assert STRICT.address_allowed(parsed) is strict
    assert LOCAL.address_allowed(parsed) is local


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("127.0.0.1", "127.0.0.1", id="dotted"),
        pytest.param("127.1", "127.0.0.1", id="short"),
        pytest.param("10.1", "10.0.0.1", id="short-10"),
        pytest.param("169.254.43518", "169.254.169.254", id="three-parts"),
        pytest.param("2130706433", "127.0.0.1", id="decimal"),
        pytest.param("0x7f000001", "127.0.0.1", id="hex"),
        pytest.param("0x7f.0.0.1", "127.0.0.1", id="hex-octet"),
        pytest.param("0177.0.0.1", "127.0.0.1", id="octal-octet"),
        pytest.param("017700000001", "127.0.0.1", id="octal"),
        pytest.param("2852039166", "169.254.169.254", id="metadata-decimal"),
        pytest.param("0xa9fea9fe", "169.254.169.254", id="metadata-hex"),
        pytest.param("0", "0.0.0.0", id="zero"),
        pytest.param("[::1]", "::1", id="ipv6-bracketed"),
        pytest.param("::ffff:7f00:1", "::ffff:7f00:1", id="ipv6-bare"),
        pytest.param("fe80::1%eth0", "fe80::1", id="ipv6-zone"),
    ],
)
def test_parse_host_address_reads_every_spelling(host: str, expected: str) -> None:
    assert parse_host_address(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("example.com", id="name"),
        pytest.param("1.2.3.256", id="octet-too-large"),
        pytest.param("256.1.1.1", id="leading-octet-too-large"),
        pytest.param("4294967296", id="decimal-too-large"),
        pytest.param("1.2.3.4.5", id="five-parts"),
        pytest.param("08.0.0.1", id="invalid-octal"),
        pytest.param("0xg", id="invalid-hex"),
        pytest.param("[not:an:address]", id="bad-ipv6"),
    ],
)
def test_parse_host_address_returns_none_for_a_name(host: str) -> None:
    assert parse_host_address(host) is None
