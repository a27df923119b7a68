"""The webhook HTTP client against real sockets, on loopback only (127.0.0.1 and ::1).

Names that look public (``hooks.example.com``) are answered by a fake ``socket.getaddrinfo``;
where the answer is not loopback, ``socket.create_connection`` is replaced too, so no packet can
leave the machine even if the client were wrong.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from integration.domain.url_policy import UrlPolicy
from integration.infrastructure import webhook_http
from integration.infrastructure.webhook_http import MAX_RESPONSE_BYTES, DeliveryResult, WebhookHttpClient

LOCAL = UrlPolicy(allow_http=True, allow_loopback=True)
NO_LOOPBACK = UrlPolicy(allow_http=True, allow_loopback=False)
BODY = b'{"type":"WebhookCreated","data":{"webhookId":"wh_1","note":"caf\xc3\xa9"}}'
HEADERS = {
    "Content-Type": "application/json",
    "webhook-id": "msg_2mN8kZ",
    "webhook-timestamp": "1735689600",
    "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
}
BIG_BODY = bytes(ord("a") + i % 26 for i in range(10 * 1024))
DNS_NAME = "hooks.example.com"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    raw_header_names: list[str]
    body: bytes


@dataclass
class Receiver:
    """A loopback HTTP(S) server that records every POST it gets and answers according to the path."""

    server: ThreadingHTTPServer
    host: str
    requests: list[Recorded] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)  # SNI seen, for TLS receivers
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str, *, scheme: str = "http", host: str | None = None) -> str:
        name = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{scheme}://{name}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Recorded(self.path, dict(self.headers.items()), list(self.headers.keys()), body))
            try:
                self._answer()
            except OSError:
                pass  # the client gave up (timeout tests) or closed after 4096 bytes

        def _answer(self) -> None:
            if self.path == "/ok":
                self._send(200, b"accepted")
            elif self.path == "/no-content":
                self._send(204, b"")
            elif self.path == "/error":
                self._send(500, b"receiver exploded")
            elif self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", receiver.url("/redirect-target"))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/redirect-target":
                self._send(200, b"followed")
            elif self.path == "/big":
                self._send(200, BIG_BODY)
            elif self.path == "/slow":
                receiver.release.wait(10)
                self._send(200, b"too late")
            elif self.path in ("/accepted-then-slow", "/busy-then-slow"):
                # The status line and headers at once, then part of the body, then nothing.
                self.send_response(202 if self.path == "/accepted-then-slow" else 503)
                self.send_header("Retry-After", "120")
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"partial")
                self.wfile.flush()
                receiver.release.wait(10)
            elif self.path.startswith("/answer/"):  # /answer/<status>?retry-after=<value>
                status, _, query = self.path.removeprefix("/answer/").partition("?")
                self.send_response(int(status))
                if query.startswith("retry-after="):
                    self.send_header("Retry-After", unquote(query.removeprefix("retry-after=")))
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"busy")
            elif self.path == "/drip":
                # Never idle for long, never done: only an overall deadline ends this.
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self.wfile.flush()
                for _ in range(60):
                    if receiver.release.wait(0.2):
                        return
                    self.wfile.write(b"X")
                    self.wfile.flush()
                self.wfile.write(b"-Drip: done\r\nContent-Length: 0\r\n\r\n")
            else:
                self._send(404, b"no such path")

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _start(host: str, tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    server_class = _Server6 if ":" in host else ThreadingHTTPServer
    receiver = Receiver(server=None, host=host)  # type: ignore[arg-type]
    server = server_class((host, 0), _handler(receiver))
    server.daemon_threads = True
    if tls is not None:
        tls.sni_callback = lambda sslobj, name, ctx: receiver.server_names.append(name)  # type: ignore[assignment, func-returns-value]
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _start("127.0.0.1")


@pytest.fixture
def receiver6() -> Iterator[Receiver]:
    if not socket.has_ipv6:
        pytest.skip("this Python has no IPv6 support")
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here ({error})")
    yield from _start("::1")


@pytest.fixture
def client() -> WebhookHttpClient:
    return WebhookHttpClient(LOCAL)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a fake resolver: names map to fixed answers; anything else must be an IP literal ------------


@dataclass
class FakeDns:
    answers: dict[str, list[list[str]]]  # name -> one answer list per successive lookup
    lookups: list[str] = field(default_factory=list)


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str] | list[list[str]]]) -> FakeDns:
    """Replace ``socket.getaddrinfo`` as the client module sees it. A name given a list of lists
    answers each lookup with the next list (the last one repeats): a rebinding resolver."""
    real = socket.getaddrinfo
    dns = FakeDns({name: value if value and isinstance(value[0], list) else [value] for name, value in answers.items()})  # type: ignore[misc]

    def getaddrinfo(host: str, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list[Any]:
        if host in dns.answers:
            replies = dns.answers[host]
            reply = replies[min(dns.lookups.count(host), len(replies) - 1)]
            dns.lookups.append(host)
            out = []
            for text in reply:
                if ipaddress.ip_address(text).version == 6:
                    out.append((socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (text, int(port), 0, 0)))
                else:
                    out.append((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (text, int(port))))
            return out
        # Only literals get through (socket.create_connection resolves its IP argument): never real DNS.
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", getaddrinfo)
    return dns


def _forbid_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def create_connection(*args: Any, **kwargs: Any) -> socket.socket:
        pytest.fail(f"a connection was attempted: {args!r}")

    monkeypatch.setattr(webhook_http.socket, "create_connection", create_connection)


def _assert_no_request(result: DeliveryResult, receiver: Receiver) -> None:
    assert result.status_code is None
    assert not result.succeeded
    assert receiver.requests == []


# --- delivery ------------------------------------------------------------------------------------


def test_delivers_exactly_the_body_and_headers_sent(receiver: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver.url("/ok"), BODY, HEADERS)

    assert result.status_code == 200
    assert result.succeeded
    assert result.error is None
    assert result.response_body == "accepted"
    assert result.duration_ms >= 0
    [request] = receiver.requests
    assert request.path == "/ok"
    assert request.body == BODY
    for name, value in HEADERS.items():
        assert request.headers[name] == value
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["Content-Length"] == str(len(BODY))
    assert request.headers["User-Agent"] == webhook_http.DEFAULT_USER_AGENT
    assert [name.lower() for name in request.raw_header_names].count("host") == 1


def test_user_agent_is_configurable_and_a_callers_own_wins(receiver: Receiver) -> None:
    WebhookHttpClient(LOCAL, user_agent="acme-hooks/2").post(receiver.url("/ok"), BODY, HEADERS)
    WebhookHttpClient(LOCAL).post(receiver.url("/ok"), BODY, {**HEADERS, "User-Agent": "caller/1"})

    assert [request.headers["User-Agent"] for request in receiver.requests] == ["acme-hooks/2", "caller/1"]


def test_path_and_query_are_sent_as_written(receiver: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver.url("/hooks/in?tenant=a&x=%2F"), BODY, HEADERS)

    assert result.status_code == 404  # the receiver knows no such path, but got it verbatim
    assert receiver.paths() == ["/hooks/in?tenant=a&x=%2F"]


def test_no_content_answer_succeeds_with_an_empty_body(receiver: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver.url("/no-content"), BODY, HEADERS)

    assert (result.status_code, result.response_body, result.error, result.succeeded) == (204, "", None, True)


def test_server_error_is_a_failed_attempt_with_its_status_and_body(receiver: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver.url("/error"), BODY, HEADERS)

    assert result.status_code == 500
    assert not result.succeeded
    assert result.response_body == "receiver exploded"
    assert receiver.paths() == ["/error"]


def test_redirect_is_recorded_and_never_followed(receiver: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver.url("/redirect"), BODY, HEADERS)

    assert result.status_code == 302
    assert not result.succeeded
    assert result.error == "redirect not followed (302)"
    assert receiver.paths() == ["/redirect"]  # /redirect-target never hit


def test_response_body_is_cut_at_4096_bytes(receiver: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver.url("/big"), BODY, HEADERS)

    assert result.status_code == 200
    assert result.error is None
    assert MAX_RESPONSE_BYTES == 4096
    assert result.response_body == BIG_BODY[:4096].decode()


def test_a_receiver_slower_than_the_total_timeout_gives_timeout(receiver: Receiver) -> None:
    result = WebhookHttpClient(LOCAL, total_timeout=1.0).post(receiver.url("/slow"), BODY, HEADERS)

    assert result.error == "timeout"
    assert result.status_code is None
    assert not result.succeeded
    assert receiver.paths() == ["/slow"]  # it was delivered, the answer never came in time


def test_a_receiver_dripping_its_answer_is_cut_off_by_the_deadline(receiver: Receiver) -> None:
    # A byte every 0.2 s never trips a per-read timeout; only the overall deadline stops it.
    result = WebhookHttpClient(LOCAL, total_timeout=1.0).post(receiver.url("/drip"), BODY, HEADERS)

    assert result.error == "timeout"
    assert result.status_code is None
    assert not result.succeeded


def test_a_2xx_whose_body_then_times_out_is_a_success_whose_log_says_the_body_was_cut(receiver: Receiver) -> None:
    # The receiver accepted the message (the status line says so); only the body never came in full.
    result = WebhookHttpClient(LOCAL, total_timeout=1.0).post(receiver.url("/accepted-then-slow"), BODY, HEADERS)

    assert result.status_code == 202
    assert result.succeeded
    assert "partial".startswith(result.response_body)  # what was read of it, if anything
    assert result.error == "timeout reading the response body: body cut"
    assert result.retry_after == "120"  # headers arrived with the status line


def test_a_failure_whose_body_then_times_out_keeps_its_status_and_is_a_failure(receiver: Receiver) -> None:
    result = WebhookHttpClient(LOCAL, total_timeout=1.0).post(receiver.url("/busy-then-slow"), BODY, HEADERS)

    assert (result.status_code, result.succeeded, result.retry_after) == (503, False, "120")
    assert result.error == "timeout reading the response body: body cut"


@pytest.mark.parametrize(
    ("status", "header"),
    [(503, "120"), (429, "Sun, 29 Nov 2026 12:02:00 GMT"), (429, "-5"), (500, "60"), (200, "1"), (410, "3600")],
)
def test_the_retry_after_header_is_handed_over_as_sent(receiver: Receiver, client: WebhookHttpClient, status: int, header: str) -> None:
    result = client.post(receiver.url(f"/answer/{status}?retry-after={quote(header)}"), BODY, HEADERS)

    assert (result.status_code, result.retry_after, result.response_body) == (status, header, "busy")


def test_no_retry_after_header_is_none_and_an_overlong_one_is_dropped(receiver: Receiver, client: WebhookHttpClient) -> None:
    assert client.post(receiver.url("/answer/503"), BODY, HEADERS).retry_after is None
    assert client.post(receiver.url(f"/answer/503?retry-after={'9' * 101}"), BODY, HEADERS).retry_after is None
    assert client.post(receiver.url(f"/answer/503?retry-after={'9' * 100}"), BODY, HEADERS).retry_after == "9" * 100


def test_connection_refused() -> None:
    result = WebhookHttpClient(LOCAL).post(f"http://127.0.0.1:{_closed_port()}/ok", BODY, HEADERS)

    assert result == DeliveryResult(None, result.duration_ms, "", "connection refused")
    assert not result.succeeded


def test_https_to_a_plain_http_receiver_is_a_tls_error(receiver: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver.url("/ok", scheme="https"), BODY, HEADERS)

    assert result.error is not None and result.error.startswith("tls error: ")
    _assert_no_request(result, receiver)


def test_ipv6_literal_url(receiver6: Receiver, client: WebhookHttpClient) -> None:
    result = client.post(receiver6.url("/ok"), BODY, HEADERS)

    assert result.status_code == 200
    [request] = receiver6.requests
    assert request.headers["Host"] == f"[::1]:{receiver6.port}"
    assert request.body == BODY


def test_ipv6_loopback_is_refused_without_allow_loopback(receiver6: Receiver) -> None:
    result = WebhookHttpClient(NO_LOOPBACK).post(receiver6.url("/ok"), BODY, HEADERS)

    assert result.error is not None and result.error.startswith("url not allowed: ")
    _assert_no_request(result, receiver6)


# --- requests the client refuses to make ------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.1", "2130706433", "[::ffff:127.0.0.1]"])
def test_loopback_urls_are_refused_without_allow_loopback(receiver: Receiver, host: str) -> None:
    result = WebhookHttpClient(NO_LOOPBACK).post(receiver.url("/ok", host=host), BODY, HEADERS)

    assert result.error is not None and result.error.startswith("url not allowed: ")
    _assert_no_request(result, receiver)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_loopback_urls_are_delivered_with_allow_loopback(receiver: Receiver, host: str) -> None:
    result = WebhookHttpClient(LOCAL).post(receiver.url("/ok", host=host), BODY, HEADERS)

    assert result.status_code == 200
    [request] = receiver.requests
    assert request.headers["Host"] == f"{host}:{receiver.port}"


def test_plain_http_is_refused_when_the_policy_wants_https(receiver: Receiver) -> None:
    result = WebhookHttpClient(UrlPolicy(allow_http=False, allow_loopback=True)).post(receiver.url("/ok"), BODY, HEADERS)

    assert result.error == "url not allowed: must be an absolute https:// URL"
    _assert_no_request(result, receiver)


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"Host": "internal.example"}, "request header not allowed: Host"),
        ({"content-length": "1"}, "request header not allowed: content-length"),
        ({"Transfer-Encoding": "chunked"}, "request header not allowed: Transfer-Encoding"),
        ({"webhook-signature": "v1,abc\r\nX-Injected: 1"}, "invalid request header value: webhook-signature"),
        ({"Bad Name": "x"}, "invalid request header name"),
    ],
)
def test_bad_request_headers_are_refused_before_connecting(
    receiver: Receiver, client: WebhookHttpClient, headers: dict[str, str], error: str
) -> None:
    result = client.post(receiver.url("/ok"), BODY, {**HEADERS, **headers})

    assert result.error == error
    assert "abc" not in result.error  # the header value (a signature, say) is never echoed
    _assert_no_request(result, receiver)


def test_total_timeout_is_capped() -> None:
    with pytest.raises(ValueError, match="total_timeout"):
        WebhookHttpClient(LOCAL, total_timeout=30.0)


# --- DNS: resolved once, every answer vetted, the vetted address is what gets connected ---------


def test_a_name_resolving_to_loopback_is_refused_without_allow_loopback(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    dns = _fake_dns(monkeypatch, {DNS_NAME: ["127.0.0.1"]})
    _forbid_connections(monkeypatch)

    result = WebhookHttpClient(NO_LOOPBACK).post(receiver.url("/ok", host=DNS_NAME), BODY, HEADERS)

    assert result.error == "address not allowed"
    assert dns.lookups == [DNS_NAME]
    _assert_no_request(result, receiver)


@pytest.mark.parametrize(
    "answer",
    [
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["192.168.1.10"],
        ["fd00::5"],
        ["::ffff:10.0.0.5"],
        ["0.0.0.0"],
        ["93.184.215.14", "10.0.0.5"],  # one public answer does not launder a private one
        ["2606:4700::6810:85e5", "169.254.169.254"],
    ],
)
def test_a_name_resolving_to_any_private_address_is_refused_without_connecting(
    monkeypatch: pytest.MonkeyPatch, answer: list[str]
) -> None:
    dns = _fake_dns(monkeypatch, {DNS_NAME: answer})
    _forbid_connections(monkeypatch)

    # Even with loopback allowed: private, link-local and unspecified addresses never are.
    result = WebhookHttpClient(LOCAL).post(f"https://{DNS_NAME}/hook", BODY, HEADERS)

    assert result.error == "address not allowed"
    assert result.status_code is None
    assert dns.lookups == [DNS_NAME]


def test_a_name_is_delivered_to_the_vetted_address_with_its_own_host_header(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    dns = _fake_dns(monkeypatch, {DNS_NAME: ["127.0.0.1"]})

    result = WebhookHttpClient(LOCAL).post(receiver.url("/ok", host=DNS_NAME), BODY, HEADERS)

    assert result.status_code == 200
    assert dns.lookups == [DNS_NAME]  # resolved once
    [request] = receiver.requests
    assert request.headers["Host"] == f"{DNS_NAME}:{receiver.port}"
    assert request.body == BODY


def test_the_name_is_not_resolved_again_to_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    # A rebinding resolver: a public answer for the check, loopback for any later lookup.
    dns = _fake_dns(monkeypatch, {DNS_NAME: [["93.184.215.14"], ["127.0.0.1"]]})
    attempts: list[Any] = []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        raise ConnectionRefusedError  # and no packet to the public address

    monkeypatch.setattr(webhook_http.socket, "create_connection", create_connection)

    result = WebhookHttpClient(NO_LOOPBACK).post(f"https://{DNS_NAME}/hook", BODY, HEADERS)

    assert result.error == "connection refused"
    assert attempts == [("93.184.215.14", 443)]
    assert dns.lookups == [DNS_NAME]


def test_every_vetted_answer_is_tried_in_turn(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> None:
    # The first answer refuses (nothing listens on ::1 at this port, or no IPv6), the second works.
    dns = _fake_dns(monkeypatch, {DNS_NAME: ["::1", "127.0.0.1"]})

    result = WebhookHttpClient(LOCAL).post(receiver.url("/ok", host=DNS_NAME), BODY, HEADERS)

    assert result.status_code == 200
    assert receiver.paths() == ["/ok"]
    assert dns.lookups == [DNS_NAME]


def test_a_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", getaddrinfo)
    _forbid_connections(monkeypatch)

    result = WebhookHttpClient(LOCAL).post(f"https://{DNS_NAME}/hook", BODY, HEADERS)

    assert result.error == "dns error: Name or service not known"
    assert result.status_code is None


def test_a_resolver_that_hangs_is_cut_off_by_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    unblock = threading.Event()

    def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        unblock.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", getaddrinfo)
    _forbid_connections(monkeypatch)
    try:
        result = WebhookHttpClient(LOCAL, total_timeout=0.5).post(f"https://{DNS_NAME}/hook", BODY, HEADERS)
    finally:
        unblock.set()

    assert result.error == "dns timeout"
    assert result.status_code is None


# --- TLS -------------------------------------------------------------------------------------


@dataclass
class Certificate:
    cert_file: Path
    key_file: Path
    pem: str


def _self_signed(directory: Path, names: list[str], addresses: list[str]) -> Certificate:
    x509 = pytest.importorskip("cryptography.x509", reason="the TLS tests need the 'cryptography' package to make a certificate")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    alt_names = [x509.DNSName(name) for name in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # What Python 3.13's default context (VERIFY_X509_STRICT) asks of a trust anchor.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_text(pem)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificate(cert_file, key_file, pem)


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return _self_signed(tmp_path, [DNS_NAME], ["127.0.0.1"])


@pytest.fixture
def tls_receiver(certificate: Certificate) -> Iterator[Receiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert_file, certificate.key_file)
    yield from _start("127.0.0.1", tls=context)


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch, certificate: Certificate) -> Callable[[], None]:
    """Make the client's default context (system CAs, hostname checking) also trust the test certificate."""

    def install() -> None:
        real = ssl.create_default_context

        def create_default_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
            context = real(*args, **kwargs)
            context.load_verify_locations(cadata=certificate.pem)
            return context

        monkeypatch.setattr(webhook_http.ssl, "create_default_context", create_default_context)

    return install


def test_https_with_an_untrusted_self_signed_certificate_is_a_tls_error(tls_receiver: Receiver) -> None:
    result = WebhookHttpClient(LOCAL).post(tls_receiver.url("/ok", scheme="https"), BODY, HEADERS)

    assert result.error is not None
    assert result.error.startswith("tls error: certificate verify failed")
    _assert_no_request(result, tls_receiver)


def test_https_checks_certificate_and_sni_against_the_url_name(
    monkeypatch: pytest.MonkeyPatch, tls_receiver: Receiver, trust: Callable[[], None]
) -> None:
    trust()
    _fake_dns(monkeypatch, {DNS_NAME: ["127.0.0.1"]})

    result = WebhookHttpClient(LOCAL).post(tls_receiver.url("/ok", scheme="https", host=DNS_NAME), BODY, HEADERS)

    assert result.status_code == 200, result.error
    assert result.response_body == "accepted"
    assert tls_receiver.server_names == [DNS_NAME]
    [request] = tls_receiver.requests
    assert request.headers["Host"] == f"{DNS_NAME}:{tls_receiver.port}"
    assert request.body == BODY


def test_https_refuses_a_trusted_certificate_for_another_name(
    monkeypatch: pytest.MonkeyPatch, tls_receiver: Receiver, trust: Callable[[], None]
) -> None:
    trust()
    _fake_dns(monkeypatch, {"other.example.com": ["127.0.0.1"]})

    result = WebhookHttpClient(LOCAL).post(tls_receiver.url("/ok", scheme="https", host="other.example.com"), BODY, HEADERS)

    assert result.error is not None
    assert result.error.startswith("tls error: certificate verify failed")
    assert "hostname" in result.error.lower()
    _assert_no_request(result, tls_receiver)


def test_https_to_an_ip_literal_checks_the_ip_in_the_certificate(tls_receiver: Receiver, trust: Callable[[], None]) -> None:
    trust()

    result = WebhookHttpClient(LOCAL).post(tls_receiver.url("/ok", scheme="https"), BODY, HEADERS)

    assert result.status_code == 200, result.error
    assert tls_receiver.paths() == ["/ok"]
