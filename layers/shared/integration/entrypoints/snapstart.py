"""SnapStart: what INIT does ahead of the first request, and what each environment restored
from a snapshot redoes before it.

Every function that may run with SnapStart imports this module at INIT: the HTTP functions
through :func:`integration.entrypoints.http.resolver.http_entry_point`, and the authorizer.

Where INIT runs ahead of any request (a SnapStart snapshot, provisioned concurrency:
:attr:`integration.settings.Settings.primes_at_init`), each primes what its first request would
otherwise load, and then calls :func:`import_first_use_modules`: some of our modules import a
module only when a call first needs it, so that a function that never makes the call does not
load it at an on-demand cold start (the outbox, for the key repository's writes; AES-GCM, for an
idempotent response). Each names those in ``IMPORTED_ON_FIRST_USE``; this imports them, so a
restored environment does not import them on its first request.

Lambda's managed Python runtime provides ``snapshot_restore_py``; where it is missing (tests, the
local runtime, another host) no after-restore hook is registered.

After a restore, :func:`after_restore`:

- reseeds :mod:`random`'s shared generator, which libraries draw their retry jitter from
  (botocore, urllib3): otherwise every environment restored from one snapshot would draw the same
  sequence. Our own code draws from :mod:`secrets` only (``tests/unit/test_architecture.py``);
- closes the AWS clients' pooled connections (:func:`integration.wiring.drop_pooled_connections`):
  a connection opened before the snapshot is stale, or shared with every other restored copy.
  The clients themselves are kept: made at INIT, they are part of what the snapshot saves.
"""

from __future__ import annotations

import importlib
import random
import sys

from integration import wiring


def import_first_use_modules() -> None:
    """Import what the loaded modules of ours name in ``IMPORTED_ON_FIRST_USE``."""
    for name, module in list(sys.modules.items()):
        if name.startswith("integration.") and module is not None:
            for first_use in getattr(module, "IMPORTED_ON_FIRST_USE", ()):
                importlib.import_module(first_use)


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
