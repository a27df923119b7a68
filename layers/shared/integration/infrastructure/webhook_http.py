"""POSTing a signed webhook to a tenant's URL without letting the URL reach inside the network.

The URL is checked again with the :class:`UrlPolicy`, its host is resolved once and *every*
address it resolves to must pass :meth:`UrlPolicy.address_allowed` (DNS rebinding: a public name
that answers 127.0.0.1, 10.0.0.5 or 169.254.169.254 is refused). The connection then goes to the
vetted address itself, never to the name again; for https the certificate and SNI are still
checked against the name. Redirects are never followed, at most :data:`MAX_RESPONSE_BYTES` of the
answer are read, and one deadline bounds the whole attempt (DNS, connect, TLS, every send and
every receive, so a receiver dripping one byte a second cannot hold the function).

Network problems never raise: every outcome is a :class:`DeliveryResult`.
"""

from __future__ import annotations

import codecs
import http.client
import io
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from integration.domain.errors import InvalidFieldError
from integration.domain.signing import USER_AGENT as DEFAULT_USER_AGENT
from integration.domain.url_policy import UrlPolicy, parse_host_address

MAX_RESPONSE_BYTES = 4096
MAX_TOTAL_TIMEOUT = 15.0
_MAX_ERROR_LENGTH = 200
_MAX_RETRY_AFTER_LENGTH = 100  # an HTTP-date is 29 characters; longer is nothing we can read
# Headers the client owns: the caller cannot point the request elsewhere or break its framing.
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Everything printable in ASCII stays as written; anything else in the path is percent-encoded.
_PATH_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


@dataclass(frozen=True)
class DeliveryResult:
    """One attempt. ``status_code`` is None when no HTTP answer arrived. ``error`` is short text
    safe to store and show (never a header or secret). The status line decides: a 2xx whose
    body then could not be read in full (a timeout, a reset) still :attr:`succeeded` (the
    receiver accepted it), with what was read and an ``error`` saying the body was cut.
    ``retry_after``: the answer's ``Retry-After`` header as sent (None: absent, or too long to
    be one)."""

    status_code: int | None
    duration_ms: int
    response_body: str = ""
    error: str | None = None
    retry_after: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Refused(Exception):
    """The attempt stops before (or instead of) connecting; the message is the result's error."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; raises :class:`TimeoutError` once the deadline has passed."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left


@dataclass(frozen=True)
class _Target:
    scheme: str
    connect_name: str  # what DNS (or nothing, for an IP literal) resolves
    literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    port: int
    host_header: str
    server_hostname: str  # SNI and certificate check
    request_target: str


class WebhookHttpClient:
    """POSTs webhook bodies under ``policy``; one instance may serve many deliveries."""

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        connect_timeout: float = 5.0,
        total_timeout: float = MAX_TOTAL_TIMEOUT,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if not 0 < connect_timeout:
            raise ValueError("connect_timeout must be positive")
        if not 0 < total_timeout <= MAX_TOTAL_TIMEOUT:
            raise ValueError(f"total_timeout must be positive and at most {MAX_TOTAL_TIMEOUT} seconds")
        self._policy = policy
        self._connect_timeout = connect_timeout
        self._total_timeout = total_timeout
        self._user_agent = user_agent
        self._tls_context: ssl.SSLContext | None = None  # loads the CA bundle: made on the first https URL

    def _tls(self) -> ssl.SSLContext:
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context()
        return self._tls_context

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        started = time.monotonic()
        deadline = _Deadline(self._total_timeout)
        retry_after: str | None = None

        def result(status: int | None = None, response_body: str = "", error: str | None = None) -> DeliveryResult:
            elapsed = int((time.monotonic() - started) * 1000)
            return DeliveryResult(status, elapsed, response_body, error[:_MAX_ERROR_LENGTH] if error else None, retry_after)

        try:
            request_headers = self._request_headers(headers)
            target = self._target(url)
            addresses = self._vetted_addresses(target, deadline)
        except _Refused as refused:
            return result(error=str(refused))
        except (OSError, TimeoutError) as error:
            return result(error=_describe(error))

        tls = (self._tls(), target.server_hostname) if target.scheme == "https" else None
        connection = _PinnedConnection(target, addresses, self._connect_timeout, deadline, tls)
        status: int | None = None
        charset = "utf-8"
        collected = bytearray()
        response: http.client.HTTPResponse | None = None
        try:
            connection.request("POST", target.request_target, body=body, headers={"Host": target.host_header, **request_headers})
            response = connection.getresponse()
            status = response.status
            retry_after = _retry_after(response)
            charset = _charset(response)
            while len(collected) < MAX_RESPONSE_BYTES:
                chunk = response.read(MAX_RESPONSE_BYTES - len(collected))
                if not chunk:
                    break
                collected += chunk
        except (OSError, http.client.HTTPException) as error:
            text = _describe(error)
            if status is not None:  # the status line and headers arrived: they decide the attempt
                text = f"{text} reading the response body: body cut"
            return result(status, _decode(bytes(collected), charset), text)
        finally:
            if response is not None:
                response.close()
            connection.close()
            connection.release()
        error = f"redirect not followed ({response.status})" if 300 <= response.status < 400 else None
        return result(response.status, _decode(bytes(collected), charset), error)

    def _request_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The caller's headers plus ours, checked before anything touches the network."""
        checked: dict[str, str] = {}
        for name, value in headers.items():
            if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
                raise _Refused("invalid request header name")
            if name.lower() in _RESERVED_HEADERS:
                raise _Refused(f"request header not allowed: {name}")
            if not isinstance(value, str) or _HEADER_VALUE_FORBIDDEN.search(value):
                raise _Refused(f"invalid request header value: {name}")
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise _Refused(f"invalid request header value: {name}") from None
            checked[name] = value
        if not any(name.lower() == "user-agent" for name in checked):
            checked["User-Agent"] = self._user_agent
        checked["Connection"] = "close"
        return checked

    def _target(self, url: str) -> _Target:
        try:
            self._policy.check(url)
        except InvalidFieldError as refused:
            raise _Refused(f"url not allowed: {refused.message}") from None
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        hostname = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        literal = parse_host_address(hostname.rstrip("."))
        if literal is not None:
            bracketed = f"[{hostname}]" if ":" in hostname else hostname
            connect_name = str(literal)
            server_hostname = str(literal)
        else:
            try:
                bracketed = connect_name = hostname.encode("idna").decode("ascii")
            except UnicodeError:
                raise _Refused("url not allowed: has an invalid host name") from None
            server_hostname = connect_name.rstrip(".")
        host_header = bracketed if parts.port is None else f"{bracketed}:{parts.port}"
        path = quote(parts.path or "/", safe=_PATH_SAFE)
        if parts.query:
            path += "?" + quote(parts.query, safe=_PATH_SAFE)
        return _Target(scheme, connect_name, literal, port, host_header, server_hostname, path)

    def _vetted_addresses(self, target: _Target, deadline: _Deadline) -> list[str]:
        """The addresses to connect to: the literal, or every answer of ONE resolution, each allowed."""
        if target.literal is not None:
            literal = target.literal
            if isinstance(literal, ipaddress.IPv6Address) and literal.ipv4_mapped is not None:
                return [str(literal.ipv4_mapped)]  # reachable without IPv6; policy already checked it
            return [str(literal)]
        answers = _resolve_once(target.connect_name, target.port, deadline.remaining())
        addresses: list[str] = []
        for family, _type, _proto, _canonname, sockaddr in answers:
            if family not in (socket.AF_INET, socket.AF_INET6):
                raise _Refused("address not allowed")
            try:
                address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            except ValueError:
                raise _Refused("address not allowed") from None
            if not self._policy.address_allowed(address):
                raise _Refused("address not allowed")
            if str(address) not in addresses:
                addresses.append(str(address))
        if not addresses:
            raise _Refused("dns error: no address")
        return addresses


def _resolve_once(name: str, port: int, timeout: float) -> list[tuple]:
    """``socket.getaddrinfo`` bounded by ``timeout`` (the resolver itself has no timeout argument).

    A resolution still running when time is up is left to finish in its daemon thread."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["answers"] = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except BaseException as error:  # noqa: BLE001 (handed over to the calling thread, re-raised there)
            outcome["error"] = error

    thread = threading.Thread(target=run, name="webhook-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _Refused("dns timeout")
    error = outcome.get("error")
    if isinstance(error, socket.gaierror):
        raise _Refused(f"dns error: {error.strerror or 'lookup failed'}")
    if isinstance(error, BaseException):
        raise error
    return list(outcome["answers"])  # type: ignore[call-overload]


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to vetted addresses, whatever the Host header and SNI name say."""

    def __init__(
        self,
        target: _Target,
        addresses: list[str],
        connect_timeout: float,
        deadline: _Deadline,
        tls: tuple[ssl.SSLContext, str] | None,
    ) -> None:
        super().__init__(addresses[0], target.port, timeout=connect_timeout)
        self._addresses = addresses
        self._connect_timeout = connect_timeout
        self._deadline = deadline
        self._tls = tls
        self._raw: socket.socket | None = None

    def connect(self) -> None:
        raw = self._open()
        try:
            if self._tls is not None:
                context, server_hostname = self._tls
                raw.settimeout(self._deadline.remaining())
                raw = context.wrap_socket(raw, server_hostname=server_hostname)
        except BaseException:
            raw.close()
            raise
        self._raw = raw
        self.sock = _DeadlineSocket(raw, self._deadline)

    def _open(self) -> socket.socket:
        last_error: OSError | None = None
        for address in self._addresses:
            timeout = min(self._connect_timeout, self._deadline.remaining())
            try:
                sock = socket.create_connection((address, self.port), timeout=timeout)
            except OSError as error:
                last_error = error
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        assert last_error is not None
        raise last_error

    def release(self) -> None:
        """Close the socket itself (http.client's own close leaves it to us, see _DeadlineSocket)."""
        if self._raw is not None:
            self._raw.close()
            self._raw = None


class _DeadlineSocket:
    """What http.client sees as its socket: each send and receive gets the time left, no more.

    Its ``close`` does nothing: http.client closes the connection right after the status line
    when the answer says ``Connection: close``, while the body is still to be read; the real
    socket is closed by :meth:`_PinnedConnection.release` once the attempt is over."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def sendall(self, data: bytes) -> None:
        view = memoryview(data).cast("B")
        while view:
            self._sock.settimeout(self._deadline.remaining())
            sent = self._sock.send(view)
            view = view[sent:]

    def makefile(self, mode: str = "rb", *_args: object, **_kwargs: object) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError("only binary reading is supported")
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        pass


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        self._sock.settimeout(self._deadline.remaining())
        return self._sock.recv_into(buffer)


def _retry_after(response: http.client.HTTPResponse) -> str | None:
    value = response.getheader("Retry-After")
    return value if value is not None and len(value) <= _MAX_RETRY_AFTER_LENGTH else None


def _charset(response: http.client.HTTPResponse) -> str:
    charset = response.headers.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


def _decode(data: bytes, charset: str) -> str:
    return data.decode(charset, errors="replace")


def _describe(error: BaseException) -> str:
    """Short text for a network failure: no addresses of ours, no headers, no secrets."""
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or error.reason or "certificate verify failed"
        return f"tls error: certificate verify failed: {detail}"
    if isinstance(error, ssl.SSLError):
        reason = (error.reason or type(error).__name__).lower().replace("_", " ")
        return f"tls error: {reason}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without response"
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, http.client.IncompleteRead):
        return "incomplete response"
    if isinstance(error, http.client.HTTPException):
        return f"invalid http response ({type(error).__name__})"
    if isinstance(error, OSError):
        return f"connection error: {error.strerror or type(error).__name__}".lower()
    return type(error).__name__
