"""The runtime's output: whole lines, one at a time.

Everything the runtime prints while serving (access lines, poller errors, and every line the
function instances write, which reach it through pipes: see :mod:`local_runtime.workers`) goes
through :func:`line`, so that lines from many threads and processes never interleave within a
line, whichever file the output goes to.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

_LOCK = threading.Lock()


def line(text: str, *, stderr: bool = False) -> None:
    """Write ``text`` and a newline to stdout (or stderr) in one write, and flush."""
    stream: TextIO = sys.stderr if stderr else sys.stdout
    with _LOCK:
        try:
            stream.write(text if text.endswith("\n") else text + "\n")
            stream.flush()
        except (OSError, ValueError):  # the stream is closed (shutting down) or gone
            pass


def error(text: str) -> None:
    line(text, stderr=True)
