"""The AWS emulator of the local runtime: moto server, patched (local_runtime.moto_patch), in a
process of its own, so that the emulator's work (moto parses and answers every AWS call in Python)
and the runtime's (the API server, the pollers) each have an interpreter to themselves.

``python -m local_runtime.emulator HOST PORT`` prints ``ready`` once it serves, and runs until
its standard input closes (the runtime exits or closes it) or it gets SIGTERM; it ignores SIGINT
(Ctrl-C reaches the whole process group: the runtime stops the emulator last, after the functions
that use it). It exits with status 3, saying why, when the moto patch refuses the installed moto.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from typing import IO

READY = "ready"


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from local_runtime import moto_patch

    try:
        moto_patch.apply()
    except moto_patch.MotoVersionMismatch as error:
        print(f"local runtime: {error}", file=sys.stderr, flush=True)
        return 3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's per-request lines
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), name="stdin", daemon=True).start()
    print(READY, flush=True)
    stop.wait()
    server.stop()
    return 0


class Emulator:
    """The emulator process, seen from the runtime."""

    def __init__(self, host: str, port: int) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "local_runtime.emulator", host, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self) -> None:
        """Block until it serves; SystemExit with its reason when it could not start."""
        stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        line = stdout.readline().strip()
        if line != READY:
            code = self.process.wait()
            raise SystemExit(f"local runtime: the AWS emulator did not start (exit status {code})")
        threading.Thread(target=self._relay, args=(stdout,), name="emulator-stdout", daemon=True).start()

    @staticmethod
    def _relay(stdout: IO[str]) -> None:
        """Whatever else it prints reaches the runtime's output (and never fills the pipe)."""
        from local_runtime import output

        try:
            for line in stdout:
                output.line(line)
        except (OSError, ValueError):
            pass

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 1.0) -> None:
        if self.process.poll() is not None:
            return
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()
        except OSError:
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
