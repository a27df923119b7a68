"""Which webhook URLs the service will send to (server-side request forgery protection).

A webhook URL must be absolute ``https`` (plain ``http`` only where the deployment allows it),
carry no credentials, stay within :data:`MAX_URL_LENGTH`, and its host must not be a private,
loopback, link-local (169.254.169.254 above all), multicast, reserved or otherwise non-global
address, in any spelling: dotted, decimal (``2130706433``), hex (``0x7f000001``), octal
(``0177.0.0.1``), short (``127.1``), IPv6, IPv4-mapped / 6to4 / NAT64 / Teredo IPv6 that
embeds such an IPv4 address. Host *names* are checked again after DNS resolution at delivery
time (DNS rebinding); here only names that are loopback by definition (``localhost``) are refused.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from integration.domain.errors import InvalidFieldError

MAX_URL_LENGTH = 2048
_NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")

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
        address = parse_host_address(host)
        if address is not None:
            if not self.address_allowed(address):
                raise InvalidFieldError(field, "must not point at a private, loopback, link-local, multicast or reserved address")
            return url
        name = _ascii_host_name(host.lower(), field)
        if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
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


def parse_host_address(host: str) -> IPAddress | None:
    """The IP address a URL host denotes in any spelling a resolver accepts, or None for a name."""
    candidate = host.strip("[]")
    if ":" in candidate:
        try:
            return ipaddress.IPv6Address(candidate.split("%", 1)[0])
        except ValueError:
            return None
    return _parse_ipv4_like_inet_aton(candidate)


def _parse_ipv4_like_inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """IPv4 as inet_aton reads it: 1 to 4 parts, each decimal, 0x-hex or 0-octal; the last part
    fills the remaining bytes (``127.1`` is 127.0.0.1, ``2130706433`` is 127.0.0.1)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        lowered = part.lower()
        try:
            if lowered.startswith("0x"):
                value = int(lowered[2:] or "0", 16)
            elif len(lowered) > 1 and lowered.startswith("0"):
                value = int(lowered, 8)
            else:
                if not lowered.isdigit():
                    return None
                value = int(lowered, 10)
        except ValueError:
            return None
        numbers.append(value)
    *leading, last = numbers
    if any(value > 255 for value in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = 0
    for number in leading:
        value = value * 256 + number
    value = value * 256 ** (4 - len(leading)) + last
    return ipaddress.IPv4Address(value)


def _ascii_host_name(name: str, field: str) -> str:
    """The host name as resolvers see it: IDNA (nameprep folds fullwidth ``ｌｏｃａｌｈｏｓｔ``)."""
    try:
        return name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidFieldError(field, "has an invalid host name") from None


def _check_host_name(ascii_name: str, field: str) -> None:
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or any(not label or len(label) > 63 for label in labels):
        raise InvalidFieldError(field, "has an invalid host name")
    if any(not all(ch.isalnum() or ch in "-_" for ch in label) or label.startswith("-") for label in labels):
        raise InvalidFieldError(field, "has an invalid host name")
    if labels[-1].isdigit():
        # All-numeric top-level label that is not a valid IPv4 spelling: refuse, resolvers disagree.
        raise InvalidFieldError(field, "has an invalid host name")
