"""SnapStart: what each environment restored from a snapshot redoes before its first request.

Lambda's managed Python runtime provides ``snapshot_restore_py``; where it is missing (tests, the
local runtime, another host) importing this module does nothing. Every function that may run
with SnapStart imports it at INIT: the HTTP functions through
:func:`integration.entrypoints.http.resolver.http_entry_point`, and the authorizer.

After a restore, :func:`after_restore`:

- reseeds :mod:`random`'s shared generator, which libraries draw their retry jitter from
  (botocore, urllib3): otherwise every environment restored from one snapshot would draw the same
  sequence. Our own code draws from :mod:`secrets` only (``tests/unit/test_architecture.py``);
- closes the AWS clients' pooled connections (:func:`integration.wiring.drop_pooled_connections`):
  a connection opened before the snapshot is stale, or shared with every other restored copy.
  The clients themselves are kept: made at INIT, they are part of what the snapshot saves.
"""

from __future__ import annotations

import random

from integration import wiring


def after_restore() -> None:
    random.seed()  # from os.urandom
    wiring.drop_pooled_connections()


try:
    from snapshot_restore_py import register_after_restore
except ImportError:  # not in Lambda's managed runtime
    REGISTERED = False
else:
    register_after_restore(after_restore)
    REGISTERED = True
