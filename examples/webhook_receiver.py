"""A webhook receiver for trying deliveries out: verifies every request with the Standard
Webhooks library, drops duplicates by ``webhook-id``, prints what arrived and answers 204.

    WEBHOOK_SECRET=whsec_... .venv/bin/python examples/webhook_receiver.py --port 8000
    .venv/bin/python examples/webhook_receiver.py --port 8000 --secret-file /tmp/secret

Register ``http://127.0.0.1:8000/hooks`` as the webhook's URL (plain http and loopback are
accepted by ``make run`` only). ``--secret-file PATH`` reads the secret from PATH at every
request instead, so the receiver can start before the webhook exists and follow a rotation;
until PATH holds a secret it answers 503. ``--fail N`` answers 503 to the first N requests, to
watch the retry schedule at work. Needs ``standardwebhooks`` (in requirements-run.txt: `make run` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fail", type=int, default=0, help="answer 503 to the first N requests")
    parser.add_argument("--secret-file", type=Path, help="read the signing secret from this file at every request")
    arguments = parser.parse_args()
    secret_file: Path | None = arguments.secret_file
    if secret_file is None and not os.environ.get("WEBHOOK_SECRET", "").startswith("whsec_"):
        sys.exit("set WEBHOOK_SECRET to the webhook's signing secret (whsec_...), or pass --secret-file")

    def current_secret() -> str:
        if secret_file is None:
            return os.environ["WEBHOOK_SECRET"]
        return secret_file.read_text().strip() if secret_file.exists() else ""

    seen: set[str] = set()
    failures_left = [arguments.fail]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            secret = current_secret()
            if not secret.startswith("whsec_"):
                print(f"no secret yet for {headers.get('webhook-id')}: answering 503", flush=True)
                self._answer(503)
                return
            try:
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError as error:
                print(f"REJECTED {headers.get('webhook-id')}: {error}", flush=True)
                self._answer(400)
                return
            if failures_left[0] > 0:
                failures_left[0] -= 1
                print(f"verified {payload['type']} {headers['webhook-id']}: answering 503 on purpose", flush=True)
                self._answer(503)
                return
            message_id = headers["webhook-id"]
            duplicate = " (duplicate, ignored)" if message_id in seen else ""
            seen.add(message_id)
            print(f"verified {payload['type']} {message_id}{duplicate} {json.dumps(payload['data'])}", flush=True)
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", arguments.port), Handler)
    print(f"receiving on http://127.0.0.1:{arguments.port}/hooks (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
