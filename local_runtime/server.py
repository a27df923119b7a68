"""The local HTTP server in front of :class:`~local_runtime.gateway.Gateway`."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from local_runtime import output
from local_runtime.gateway import Gateway, timed

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_GATEWAY_SET = ("x-forwarded-proto", "x-forwarded-port")


def make_server(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "integration-local"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_REQUEST_BYTES:
                self.send_error(413, "Request Entity Too Large")
                return
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            # Every header as received (repeated ones too, in order), but the X-Forwarded-Proto and
            # -Port that API Gateway sets itself (a client's are replaced), here for plain http.
            headers = [(name, value) for name, value in self.headers.items() if name.lower() not in _GATEWAY_SET]
            headers += [("X-Forwarded-Proto", "http"), ("X-Forwarded-Port", str(port))]
            response, elapsed_ms = timed(gateway, self.command, url.path, url.query, headers, body)
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            for cookie in response.cookies:
                self.send_header("set-cookie", cookie)
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            # One access-log line; never headers (they carry credentials) nor bodies.
            target = response.function or "gateway"
            output.error(f"{self.command} {url.path} -> {response.status} ({target}, {elapsed_ms:.0f} ms)")

        def __getattr__(self, name: str) -> object:
            # Every method (TRACE, QUERY, ...) reaches the gateway, which answers 404 where no
            # route has it, as API Gateway does; http.server would answer 501.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass  # replaced by the access-log line above

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
