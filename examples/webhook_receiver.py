"""A webhook receiver for trying deliveries out: verifies every request with the Standard
Webhooks library, drops duplicates by ``webhook-id``, prints what arrived and answers 204.

    WEBHOOK_SECRET=whsec_... .venv/bin/python examples/webhook_receiver.py --port 8000

Register ``http://127.0.0.1:8000/hooks`` as the webhook's URL (plain http and loopback are
accepted by ``make run`` only). ``--fail N`` answers 503 to the first N requests, to watch the
retry schedule at work. Needs ``standardwebhooks`` (in requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fail", type=int, default=0, help="answer 503 to the first N requests")
    arguments = parser.parse_args()
    secret = os.environ.get("WEBHOOK_SECRET", "")
    if not secret.startswith("whsec_"):
        sys.exit("set WEBHOOK_SECRET to the webhook's signing secret (whsec_...)")
    verifier = Webhook(secret)
    seen: set[str] = set()
    failures_left = [arguments.fail]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                payload = verifier.verify(body, headers)
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
