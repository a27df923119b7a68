"""Which webhook URLs the service accepts: the server-side request forgery rules of UrlPolicy."""

from __future__ import annotations

import ipaddress

import pytest

from integration.domain.errors import InvalidFieldError
from integration.domain.url_policy import MAX_URL_LENGTH, UrlPolicy, fold_host, parse_host_address

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


# ------------------------------------------------------------------ look-alike spellings
#
# Every spelling URL parsers (WHATWG: percent-decoding, UTS 46 mapping, then the "ends in a
# number" IPv4 parser) or resolvers (IDNA 2003 nameprep, NFKC, ideographic full stops, case
# folding) may read as an IP address, and the reason each is refused with.

NON_PUBLIC = "must not point at a private, loopback, link-local, multicast or reserved address"
INVALID_HOST = "has an invalid host name"
NOT_ASCII_ADDRESS = "must write an IP address in plain ASCII, without look-alike characters or percent-encoding"
LOOPBACK_HOST = "must not point at a loopback host"

LOOK_ALIKES = [
    # fullwidth and superscript spellings of hex addresses
    pytest.param("0\uff58a9fea9fe", NON_PUBLIC, id="metadata-hex-fullwidth-x"),
    pytest.param("\u2070x7f000001", NON_PUBLIC, id="loopback-hex-superscript-zero"),
    pytest.param("127.0.0.0\uff581", NON_PUBLIC, id="loopback-fullwidth-x-in-last-part"),
    pytest.param("0\uff38A9FEA9FE", NON_PUBLIC, id="metadata-hex-fullwidth-capital-x"),
    pytest.param("\uff10\uff58\uff41\uff19\uff46\uff45\uff41\uff19\uff46\uff45", NON_PUBLIC, id="metadata-hex-all-fullwidth"),
    # fullwidth digits and the full stops IDNA reads as dots
    pytest.param("\uff11\uff12\uff17.\uff10.\uff10.\uff11", NON_PUBLIC, id="loopback-fullwidth-digits"),
    pytest.param("127\u30020\u30020\u30021", NON_PUBLIC, id="loopback-ideographic-full-stops"),
    pytest.param("127\uff0e0\uff0e0\uff0e1", NON_PUBLIC, id="loopback-fullwidth-full-stops"),
    pytest.param("127\uff610\uff610\uff611", NON_PUBLIC, id="loopback-halfwidth-ideographic-full-stops"),
    pytest.param("\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11", NON_PUBLIC, id="loopback-fullwidth-and-ideographic"),
    pytest.param("127.0.0.1\u3002", NON_PUBLIC, id="loopback-ideographic-trailing-dot"),
    pytest.param("169\u3002254\u3002169\u3002254", NON_PUBLIC, id="metadata-ideographic-full-stops"),
    # 169.254.169.254 in every notation
    pytest.param("169.254.169.254", NON_PUBLIC, id="metadata-dotted"),
    pytest.param("2852039166", NON_PUBLIC, id="metadata-decimal"),
    pytest.param("0xa9fea9fe", NON_PUBLIC, id="metadata-hex"),
    pytest.param("0xa9.0xfe.0xa9.0xfe", NON_PUBLIC, id="metadata-hex-octets"),
    pytest.param("0251.0376.0251.0376", NON_PUBLIC, id="metadata-octal"),
    pytest.param("025177524776", NON_PUBLIC, id="metadata-octal-whole"),
    pytest.param("0xa9.254.0251.0376", NON_PUBLIC, id="metadata-mixed"),
    pytest.param("169.0xfe.43518", NON_PUBLIC, id="metadata-mixed-three-parts"),
    pytest.param("169.16689662", NON_PUBLIC, id="metadata-two-parts"),
    pytest.param("[::ffff:169.254.169.254]", NON_PUBLIC, id="metadata-ipv4-mapped"),
    pytest.param("[::ffff:a9fe:a9fe]", NON_PUBLIC, id="metadata-ipv4-mapped-hex"),
    pytest.param("[64:ff9b::a9fe:a9fe]", NON_PUBLIC, id="metadata-nat64"),
    pytest.param("[64:ff9b::169.254.169.254]", NON_PUBLIC, id="metadata-nat64-dotted"),
    pytest.param("[2002:a9fe:a9fe::1]", NON_PUBLIC, id="metadata-6to4"),
    # loopback in the short and whole-number notations
    pytest.param("0x7f.1", NON_PUBLIC, id="loopback-hex-short"),
    pytest.param("017700000001", NON_PUBLIC, id="loopback-octal-whole"),
    pytest.param("0x7f.0x0.0x0.0x1", NON_PUBLIC, id="loopback-hex-octets"),
    # superscripts, subscripts, circled, mathematical and other compatibility digits
    pytest.param("\u00b9\u00b2\u2077.\u2070.\u2070.\u00b9", NON_PUBLIC, id="loopback-superscripts"),
    pytest.param("\u2081\u2082\u2087.\u2080.\u2080.\u2081", NON_PUBLIC, id="loopback-subscripts"),
    pytest.param("\u2460\u2461\u2466.\u24ea.\u24ea.\u2460", NON_PUBLIC, id="loopback-circled-digits"),
    pytest.param("\u24ea", NON_PUBLIC, id="unspecified-circled-zero"),
    pytest.param("\u2474\u2475\u247a.0.0.1", INVALID_HOST, id="parenthesized-digits"),
    pytest.param("127.0.0\u2488", NON_PUBLIC, id="loopback-digit-full-stop"),
    pytest.param("\U0001d7cf\U0001d7d0\U0001d7d5.\U0001d7ce.\U0001d7ce.\U0001d7cf", NON_PUBLIC, id="loopback-mathematical-bold"),
    pytest.param(
        "\U0001d7d8\U0001d569\U0001d7df\U0001d557\U0001d7d8\U0001d7d8\U0001d7d8\U0001d7d8\U0001d7d8\U0001d7d9",
        NON_PUBLIC,
        id="loopback-hex-mathematical-double-struck",
    ),
    pytest.param("\U0001fbf1\U0001fbf2\U0001fbf7.0.0.1", NON_PUBLIC, id="loopback-segmented-digits"),
    pytest.param("0x7f00000\U0001fbf1", NON_PUBLIC, id="loopback-hex-segmented-digit"),
    # characters URL parsers and nameprep drop
    pytest.param("\u00ad0x7f000001", NON_PUBLIC, id="loopback-hex-soft-hyphen"),
    pytest.param("0x7f00\u200b0001", NON_PUBLIC, id="loopback-hex-zero-width-space"),
    pytest.param("0xa9fe\u200da9fe", NON_PUBLIC, id="metadata-hex-zero-width-joiner"),
    pytest.param("\ufeff2130706433", NON_PUBLIC, id="loopback-decimal-byte-order-mark"),
    pytest.param("2852039166\ufe0f", NON_PUBLIC, id="metadata-decimal-variation-selector"),
    # percent-encoding (WHATWG decodes the host before reading it)
    pytest.param("%31%32%37.0.0.1", NON_PUBLIC, id="loopback-percent-encoded"),
    pytest.param("%30x7f000001", NON_PUBLIC, id="loopback-hex-percent-encoded"),
    pytest.param("%EF%BC%90%EF%BD%98a9fea9fe", NON_PUBLIC, id="metadata-percent-encoded-fullwidth"),
    pytest.param("127.0.0.1%2e", NON_PUBLIC, id="loopback-percent-encoded-trailing-dot"),
    pytest.param("%3a%3a1", NON_PUBLIC, id="ipv6-loopback-percent-encoded"),
    pytest.param("%ff.0.0.1", INVALID_HOST, id="percent-encoded-not-utf8"),
    # digits that fold to nothing ASCII: numbers to int(), never to a URL parser
    pytest.param("\u0661\u0662\u0667.\u0660.\u0660.\u0661", INVALID_HOST, id="arabic-indic-digits"),
    pytest.param("127.0.0.\u0661", INVALID_HOST, id="arabic-indic-last-digit"),
    pytest.param("\u0967\u0968\u096d.0.0.1", INVALID_HOST, id="devanagari-digits"),
    pytest.param("example.\u2460", INVALID_HOST, id="circled-digit-top-level-label"),
    # a last label that is a number, but no valid IPv4 address: no host at all (WHATWG)
    pytest.param("foo.0x7f", INVALID_HOST, id="name-ending-in-hex"),
    pytest.param("foo.0x", INVALID_HOST, id="name-ending-in-bare-0x"),
    pytest.param("foo.127", INVALID_HOST, id="name-ending-in-decimal"),
    pytest.param("foo.0\uff58\uff17\uff46", INVALID_HOST, id="name-ending-in-fullwidth-hex"),
    pytest.param("1.2.3.4.5", INVALID_HOST, id="five-parts"),
    pytest.param("08.0.0.1", INVALID_HOST, id="invalid-octal-part"),
    pytest.param("0xg.0.0.1", INVALID_HOST, id="invalid-hex-part"),
    pytest.param("1..2", INVALID_HOST, id="empty-part"),
    # localhost spelled otherwise
    pytest.param("%6cocalhost", LOOPBACK_HOST, id="localhost-percent-encoded"),
    pytest.param(
        "\U0001d425\U0001d428\U0001d41c\U0001d41a\U0001d425\U0001d421\U0001d428\U0001d42c\U0001d42d",
        LOOPBACK_HOST,
        id="localhost-mathematical-bold",
    ),
    pytest.param("local\u00adhost", LOOPBACK_HOST, id="localhost-soft-hyphen"),
    # a public address is accepted in ASCII only
    pytest.param("\uff18.\uff18.\uff18.\uff18", NOT_ASCII_ADDRESS, id="public-fullwidth-digits"),
    pytest.param("8\u30028\u30028\u30028", NOT_ASCII_ADDRESS, id="public-ideographic-full-stops"),
    pytest.param("%38.8.8.8", NOT_ASCII_ADDRESS, id="public-percent-encoded"),
    pytest.param("8.8.8.8\u3002", NOT_ASCII_ADDRESS, id="public-ideographic-trailing-dot"),
]


@pytest.mark.parametrize(("host", "reason"), LOOK_ALIKES)
def test_a_look_alike_ip_literal_is_refused_for_what_it_folds_into(host: str, reason: str) -> None:
    error = refusal(STRICT, f"https://{host}/hook")

    assert (error.field, error.message) == ("url", reason)


@pytest.mark.parametrize(("host", "reason"), LOOK_ALIKES)
def test_a_look_alike_ip_literal_is_refused_with_a_port_too(host: str, reason: str) -> None:
    assert refusal(STRICT, f"https://{host}:8443/hook").message == reason


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://[::ffff:\uff11\uff12\uff17.0.0.1]/", id="ipv6-with-fullwidth-digits"),
        pytest.param("https://[::ffff:127\u30020\u30020\u30021]/", id="ipv6-with-ideographic-full-stops"),
        pytest.param("https://[\uff1a\uff1a1]/", id="ipv6-fullwidth-colons"),
        pytest.param("https://127.0.0.1\uff1a8443/", id="fullwidth-port-colon"),
        pytest.param("https://example.com\uff20127.0.0.1/", id="fullwidth-at-sign"),
    ],
)
def test_a_look_alike_inside_brackets_or_the_authority_is_not_a_valid_url(url: str) -> None:
    error = refusal(STRICT, url)

    assert error.field == "url"
    assert error.message.startswith("is not a valid URL")


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://\uff11\uff12\uff17.0.0.1:9000/", id="loopback-fullwidth-digits"),
        pytest.param("http://127\u30020\u30020\u30021:9000/", id="loopback-ideographic-full-stops"),
        pytest.param("http://\u2070x7f000001:9000/", id="loopback-hex-superscript-zero"),
    ],
)
def test_the_local_runtime_accepts_loopback_in_ascii_only(url: str) -> None:
    assert refusal(LOCAL, url).message == NOT_ASCII_ADDRESS


def test_the_local_runtime_refuses_look_alike_metadata_addresses() -> None:
    assert refusal(LOCAL, "http://0\uff58a9fea9fe/").message == NON_PUBLIC


# Either side of each boundary: of the ranges that are refused, and of what is a number.
BOUNDARIES = [
    pytest.param("126.255.255.255", None, id="below-loopback"),
    pytest.param("127.0.0.0", NON_PUBLIC, id="loopback-first"),
    pytest.param("127.255.255.255", NON_PUBLIC, id="loopback-last"),
    pytest.param("128.0.0.0", None, id="above-loopback"),
    pytest.param("9.255.255.255", None, id="below-private-10"),
    pytest.param("10.0.0.0", NON_PUBLIC, id="private-10-first"),
    pytest.param("10.255.255.255", NON_PUBLIC, id="private-10-last"),
    pytest.param("11.0.0.0", None, id="above-private-10"),
    pytest.param("169.253.255.255", None, id="below-link-local"),
    pytest.param("169.254.0.0", NON_PUBLIC, id="link-local-first"),
    pytest.param("169.254.255.255", NON_PUBLIC, id="link-local-last"),
    pytest.param("169.255.0.0", None, id="above-link-local"),
    pytest.param("172.15.255.255", None, id="below-private-172"),
    pytest.param("172.16.0.0", NON_PUBLIC, id="private-172-first"),
    pytest.param("172.31.255.255", NON_PUBLIC, id="private-172-last"),
    pytest.param("172.32.0.0", None, id="above-private-172"),
    pytest.param("100.63.255.255", None, id="below-shared"),
    pytest.param("100.64.0.0", NON_PUBLIC, id="shared-first"),
    pytest.param("100.127.255.255", NON_PUBLIC, id="shared-last"),
    pytest.param("100.128.0.0", None, id="above-shared"),
    pytest.param("2851995647", None, id="decimal-below-link-local"),
    pytest.param("2851995648", NON_PUBLIC, id="decimal-link-local-first"),
    pytest.param("0xa9fdffff", None, id="hex-below-link-local"),
    pytest.param("0xa9fe0000", NON_PUBLIC, id="hex-link-local-first"),
    pytest.param("4294967295", NON_PUBLIC, id="decimal-largest-is-broadcast"),
    pytest.param("4294967296", INVALID_HOST, id="decimal-one-too-large"),
    pytest.param("0xffffffff", NON_PUBLIC, id="hex-largest-is-broadcast"),
    pytest.param("0x100000000", INVALID_HOST, id="hex-one-too-large"),
    pytest.param("93.0377.1.1", None, id="octal-part-largest"),
    pytest.param("93.0400.1.1", INVALID_HOST, id="octal-part-one-too-large"),
    pytest.param("93.184.216.255", None, id="last-part-largest"),
    pytest.param("93.184.216.256", INVALID_HOST, id="last-part-one-too-large"),
    pytest.param("93.184.65535", None, id="three-parts-largest"),
    pytest.param("93.184.65536", INVALID_HOST, id="three-parts-one-too-large"),
    pytest.param("93.16777215", None, id="two-parts-largest"),
    pytest.param("93.16777216", INVALID_HOST, id="two-parts-one-too-large"),
    pytest.param("93.184.216.34", None, id="four-parts"),
    pytest.param("93.184.216.34.1", INVALID_HOST, id="five-parts"),
    pytest.param("foo.0x7f", INVALID_HOST, id="last-label-hex"),
    pytest.param("foo.0x7g", None, id="last-label-not-quite-hex"),
    pytest.param("foo.127", INVALID_HOST, id="last-label-decimal"),
    pytest.param("foo.127a", None, id="last-label-not-quite-decimal"),
    pytest.param("0x7f.example.com", None, id="first-label-hex-is-a-name"),
    pytest.param("127.0.0.1.example.com", None, id="address-as-inner-labels-is-a-name"),
]


@pytest.mark.parametrize(("host", "reason"), BOUNDARIES)
def test_either_side_of_each_boundary(host: str, reason: str | None) -> None:
    url = f"https://{host}/hook"
    if reason is None:
        assert STRICT.check(url) == url
    else:
        assert refusal(STRICT, url).message == reason


LOOK_ALIKES_ACCEPTED = [
    pytest.param("https://8.8.8.8/", id="public-ipv4"),
    pytest.param("https://93.184.216.34/", id="public-ipv4-example"),
    pytest.param("https://0x5db8d822/", id="public-ipv4-hex"),
    pytest.param("https://example.com/", id="name"),
    pytest.param("https://EXAMPLE.com/", id="name-upper-case"),
    pytest.param("https://api.example.com:8443/hook", id="name-with-port"),
    pytest.param("https://xn--bcher-kva.example/", id="punycode"),
    pytest.param("https://bücher.example/", id="idn"),
    pytest.param("https://ｅｘａｍｐｌｅ.com/", id="fullwidth-name"),
    pytest.param("https://例え。jp/", id="idn-ideographic-full-stop"),
    pytest.param("https://1password.example/", id="label-starting-with-digits"),
    pytest.param("https://example.co1/", id="top-level-label-ending-in-digit"),
    pytest.param("https://[2606:4700:4700::1111]:8443/", id="public-ipv6"),
]


@pytest.mark.parametrize("url", LOOK_ALIKES_ACCEPTED)
def test_names_and_ascii_public_addresses_stay_accepted(url: str) -> None:
    assert STRICT.check(url) == url


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("0\uff58a9fea9fe", "169.254.169.254", id="fullwidth-x"),
        pytest.param("\u2070x7f000001", "127.0.0.1", id="superscript-zero"),
        pytest.param("127.0.0.0\uff581", "127.0.0.1", id="fullwidth-x-in-last-part"),
        pytest.param("\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11", "127.0.0.1", id="fullwidth-ideographic"),
        pytest.param("\U0001d7cf\U0001d7d0\U0001d7d5.\U0001d7ce.\U0001d7ce.\U0001d7cf", "127.0.0.1", id="mathematical-bold"),
        pytest.param("\uff18.\uff18.\uff18.\uff18", "8.8.8.8", id="public-fullwidth"),
    ],
)
def test_parse_host_address_folds_look_alikes_as_delivery_needs(host: str, expected: str) -> None:
    assert parse_host_address(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("\u0661\u0662\u0667.\u0660.\u0660.\u0661", id="arabic-indic-digits"),
        pytest.param("\u0967\u0968\u096d.0.0.1", id="devanagari-digits"),
        pytest.param("127.0.0.\u0661", id="arabic-indic-last-digit"),
    ],
)
def test_parse_host_address_reads_numbers_from_ascii_digits_only(host: str) -> None:
    assert parse_host_address(host) is None


@pytest.mark.parametrize(
    ("host", "folded"),
    [
        pytest.param("EXAMPLE.com", "example.com", id="case"),
        pytest.param("ｅｘａｍｐｌｅ.com", "example.com", id="fullwidth"),
        pytest.param("a\u3002b\uff0ec\uff61d", "a.b.c.d", id="full-stops"),
        pytest.param("ex\u00adam\u200bple.com", "example.com", id="ignored-characters"),
        pytest.param("%65xample.com", "example.com", id="percent-encoded"),
        pytest.param("bücher.example", "bücher.example", id="idn-stays-unicode"),
        pytest.param("\u0661\u0662\u0667", "\u0661\u0662\u0667", id="arabic-indic-digits-stay"),
        pytest.param("127.0.0\u2488", "127.0.01.", id="digit-full-stop-is-two-characters"),
    ],
)
def test_fold_host(host: str, folded: str) -> None:
    assert fold_host(host) == folded
