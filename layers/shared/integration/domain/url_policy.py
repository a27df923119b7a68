"""Which webhook URLs the service will send to (server-side request forgery protection).

A webhook URL must be absolute ``https`` (plain ``http`` only where the deployment allows it),
carry no credentials, stay within :data:`MAX_URL_LENGTH`, and its host must not be a private,
loopback, link-local (169.254.169.254 above all), multicast, reserved or otherwise non-global
address, in any spelling: dotted, decimal (``2130706433``), hex (``0x7f000001``), octal
(``0177.0.0.1``), short (``127.1``), IPv6, IPv4-mapped / 6to4 / NAT64 / Teredo IPv6 that
embeds such an IPv4 address. Host *names* are checked again after DNS resolution at delivery
time (DNS rebinding); here only names that are loopback by definition (``localhost``) are refused.

Look-alike spellings. Before deciding whether a host is an IP address, it is folded the way
URL parsers (WHATWG URL: percent-decoding, then UTS 46 mapping in domain-to-ASCII) and
resolvers (IDNA 2003 nameprep, what Python's ``idna`` codec and older libraries apply) would
fold it, so that ``0ｘa9fea9fe`` (fullwidth x), ``⁰x7f000001`` (superscript zero),
``１２７。０。０。１`` (fullwidth digits, ideographic full stops) or ``𝟏𝟐𝟕.𝟎.𝟎.𝟏`` are read as the
addresses a browser, an HTTP library or a resolver would connect to. :func:`fold_host`, until
nothing changes: percent-decoding (UTF-8, strict); NFKC, case folding, NFKC again (Unicode
NFKC_Casefold, the core of the UTS 46 mapping, with this Python's Unicode version); removal of
format characters and variation selectors (soft hyphen, zero-width space and joiners, BOM...:
UTS 46 ignores most of them and nameprep maps some to nothing); the full stops U+3002, U+FF0E and
U+FF61 read as dots; then nameprep on each label (Unicode 3.2 NFKC and case mapping). The fold
is deliberately a superset of what any one of them does: it only adds refusals (an accepted IP
literal is one the fold leaves unchanged). Numbers are then parsed from ASCII only (``int()``
and ``str.isdigit()`` also accept Arabic-Indic, superscript or other non-ASCII digits).

After folding, as in the WHATWG host parser, a host whose last label is a number (ASCII digits,
or ``0x`` and hex digits; here digits of any script as well) must be a valid IPv4 address in the
``inet_aton`` sense, else it is refused as an invalid host name (``foo.0x7f``, ``1.2.3.4.5``,
``1.2.3.999``, ``١٢٧.٠.٠.١``). A non-public address is refused in any spelling; a public one is
only accepted written plainly, as the fold leaves it (``８.８.８.８`` and ``%38.8.8.8`` are refused:
delivery would send that spelling as the Host header).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from encodings.idna import nameprep
from urllib.parse import unquote, urlsplit

from integration.domain.errors import InvalidFieldError

MAX_URL_LENGTH = 2048
_NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")

_NON_PUBLIC = "must not point at a private, loopback, link-local, multicast or reserved address"
_INVALID_HOST = "has an invalid host name"
_NOT_ASCII_ADDRESS = "must write an IP address in plain ASCII, without look-alike characters or percent-encoding"

# The full stops that IDNA (RFC 3490 section 3.1) and UTS 46 read as label separators.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# Not format characters (Cf) but ignored all the same: combining grapheme joiner, Mongolian free
# variation selectors, variation selectors.
_IGNORED_MARKS = re.compile("[\u034f\u180b-\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# One part of an IPv4 address as inet_aton reads it, in ASCII only: 0x-hex, 0-octal or decimal.
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")
_FOLD_ROUNDS = 4

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class UrlPolicy:
    """``allow_http``: accept plain http (the local runtime). ``allow_loopback``: accept
    loopback hosts (127.0.0.0/8, ::1, localhost), for the local runtime only."""

    allow_http: bool = False
    allow_loopback: bool = False

    def check(self, url: str, field: str = "url") -> str:
        """Return ``url`` if it may receive webhooks; raise :class:`InvalidFieldError` otherwise."""
        if len(url) > MAX_URL_LENGTH:
            raise InvalidFieldError(field, f"must be at most {MAX_URL_LENGTH} characters")
        if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
            raise InvalidFieldError(field, "must not contain whitespace or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise InvalidFieldError(field, f"is not a valid URL ({error})") from None
        allowed = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme.lower() not in allowed:
            raise InvalidFieldError(field, "must be an absolute https:// URL" if not self.allow_http else "must be an http(s) URL")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise InvalidFieldError(field, "must not contain credentials")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise InvalidFieldError(field, "must name a host")
        if port == 0:
            raise InvalidFieldError(field, "must not use port 0")
        folded, address = _read_host(host, field)
        if address is not None:
            if not self.address_allowed(address):
                raise InvalidFieldError(field, _NON_PUBLIC)
            if folded != host:
                raise InvalidFieldError(field, _NOT_ASCII_ADDRESS)
            return url
        name = _ascii_host_name(host.lower(), field)
        if _is_loopback_name(name) or _is_loopback_name(folded):
            if not self.allow_loopback:
                raise InvalidFieldError(field, "must not point at a loopback host")
            return url
        _check_host_name(name, field)
        return url

    def address_allowed(self, address: IPAddress) -> bool:
        """True when webhooks may go to ``address`` (also used at delivery, after DNS)."""
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return self.address_allowed(embedded)
        if address.is_loopback:
            return self.allow_loopback
        return address.is_global and not (
            address.is_multicast or address.is_reserved or address.is_private or address.is_link_local or address.is_unspecified
        )


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    for prefix in _NAT64_PREFIXES:
        if address in prefix:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def fold_host(host: str) -> str:
    """``host`` as a URL parser or resolver may read it (see the module docstring), repeated
    until it no longer changes. Raises :class:`UnicodeError` where nameprep or UTF-8 refuse."""
    text = host
    for _ in range(_FOLD_ROUNDS):
        folded = unquote(text, errors="strict")
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", folded).casefold())
        folded = _IGNORED_MARKS.sub("", "".join(ch for ch in folded if unicodedata.category(ch) != "Cf"))
        folded = ".".join(nameprep(label) for label in folded.translate(_DOTS).split("."))
        if folded == text:
            break
        text = folded
    return text


def parse_host_address(host: str) -> IPAddress | None:
    """The IP address a URL host denotes in any spelling a URL parser or resolver accepts
    (folded by :func:`fold_host`), or None for a name."""
    candidate = host.strip("[]")
    if ":" in candidate:
        try:
            return ipaddress.IPv6Address(candidate.split("%", 1)[0])
        except ValueError:
            return None
    try:
        folded = fold_host(candidate).rstrip(".")
    except UnicodeError:
        return None
    return _parse_folded_address(folded)


def _parse_folded_address(folded: str) -> IPAddress | None:
    if ":" in folded:  # only from percent-decoding: a bracketed host never reaches the fold
        try:
            return ipaddress.IPv6Address(folded)
        except ValueError:
            return None
    return _parse_ipv4_like_inet_aton(folded)


def _read_host(host: str, field: str) -> tuple[str, IPAddress | None]:
    """The folded host and the address it denotes (None for a name); refuses a host that folds
    into a number which is not an IPv4 address."""
    if ":" in host:  # a bracketed IPv6 literal (urlsplit has validated it)
        address = parse_host_address(host)
        return host, address
    try:
        folded = fold_host(host).rstrip(".")
    except UnicodeError:
        raise InvalidFieldError(field, _INVALID_HOST) from None
    if not folded:
        raise InvalidFieldError(field, _INVALID_HOST)
    address = _parse_folded_address(folded)
    if address is None and _is_number_label(folded.rsplit(".", 1)[-1]):
        # WHATWG: a host that ends in a number must be an IPv4 address, or it is no host at all.
        raise InvalidFieldError(field, _INVALID_HOST)
    return folded, address


def _is_number_label(label: str) -> bool:
    """A label a number parser reads as a number: digits (of any script: int() takes them), or
    0x followed by hex digits (WHATWG's "ends in a number" accepts a bare ``0x``)."""
    if label[:2] in ("0x", "0X"):
        return all(ch.isdigit() or ch in "abcdefABCDEF" for ch in label[2:])
    return label != "" and label.isdigit()


def _parse_ipv4_like_inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """IPv4 as inet_aton reads it: 1 to 4 parts, each decimal, 0x-hex or 0-octal in ASCII; the
    last part fills the remaining bytes (``127.1`` is 127.0.0.1, ``2130706433`` is 127.0.0.1)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        if not part.isascii() or _IPV4_PART.fullmatch(part) is None:
            return None
        lowered = part.lower()
        if lowered.startswith("0x"):
            numbers.append(int(lowered[2:] or "0", 16))
        elif len(lowered) > 1 and lowered.startswith("0"):
            numbers.append(int(lowered, 8))
        else:
            numbers.append(int(lowered, 10))
    *leading, last = numbers
    if any(value > 255 for value in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = 0
    for number in leading:
        value = value * 256 + number
    value = value * 256 ** (4 - len(leading)) + last
    return ipaddress.IPv4Address(value)


def _is_loopback_name(name: str) -> bool:
    return name in _LOOPBACK_NAMES or name.endswith(".localhost")


def _ascii_host_name(name: str, field: str) -> str:
    """The host name as resolvers see it: IDNA (nameprep folds fullwidth ``ｌｏｃａｌｈｏｓｔ``)."""
    try:
        return name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidFieldError(field, _INVALID_HOST) from None


def _check_host_name(ascii_name: str, field: str) -> None:
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or any(not label or len(label) > 63 for label in labels):
        raise InvalidFieldError(field, _INVALID_HOST)
    if any(not all(ch.isalnum() or ch in "-_" for ch in label) or label.startswith("-") for label in labels):
        raise InvalidFieldError(field, _INVALID_HOST)
    if _is_number_label(labels[-1]):
        # All-numeric top-level label that is not a valid IPv4 spelling: refuse, resolvers disagree.
        raise InvalidFieldError(field, _INVALID_HOST)
