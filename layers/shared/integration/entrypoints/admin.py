"""``integration-admin``: operator commands against the table the environment names.

    integration-admin create-key --tenant T --name N --scope S [--scope S ...] [--expires-at ISO]
    integration-admin list-keys --tenant T [--all] [--json]
    integration-admin revoke-key --tenant T --id K
    integration-admin revoke-leaked -            (the key on stdin; or the key as the argument)
    integration-admin list-webhooks --tenant T [--status active|disabled] [--json]
    integration-admin disable-webhook --tenant T --id W
    integration-admin republish --since ISO [--tenant T] [--all] [--yes]

Every command that changes something goes through the same use case as the API, as the tenant's
operator (credential ``operator``, every scope), so it records the same domain event.

``create-key`` prints the plaintext key as its only stdout line. It is how an operator gives a
tenant its first key. The tenant id follows the same rule as everywhere (the OIDC tenant claim
too): 1 to 128 letters, digits and ``. _ : @ -``, starting with a letter or digit. The key
records ``created_by: operator``.

``list-keys`` lists the tenant's active keys (with ``--all``, revoked and expired ones too),
newest first, never their hash; ``list-webhooks`` the tenant's webhooks, never their secret.
``revoke-key`` revokes one key (``ApiKeyRevoked``), ``disable-webhook`` disables one webhook
(``WebhookUpdated``, as a PATCH of its status would); both are harmless to repeat.

``revoke-leaked`` takes a key found where it should not be (a secret-scanning report): it checks
the checksum, finds the key by its hash, and revokes it with reason ``leaked``, printing the
tenant and the key id, never the key. Give ``-`` to read the key from stdin, so it lands neither
in the shell's history nor in ``ps``.

``republish`` publishes again, in order and with their own ``eventId`` (consumers deduplicate on
it), the recorded events since ``--since`` that never reached the bus (the sweeper does the same
every minute for events older than ``OutboxRepublishAfterSeconds``); with ``--tenant``, only
that tenant's; with ``--all`` (needs ``--tenant``), every event the tenant's outbox still holds
(7 days), published or not. It lists them and changes nothing unless ``--yes`` is given.

Exit codes: 0 done; 1 not found (a key or webhook the tenant does not have, an unknown leaked
key), or ``republish`` could not publish them all; 2 a usage error or an invalid value (nothing
changed).

It talks to whatever ``TABLE_NAME``, ``EVENT_BUS_NAME`` (republish), ``AWS_ENDPOINT_URL``
(optional; the local runtime prints them all), credentials and region the environment holds.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

from integration.domain.api_key import REVOKED_BY_OPERATOR, ApiKey, ApiKeyStatus
from integration.domain.clock import format_timestamp, utc_now
from integration.domain.errors import DomainError, NotFoundError
from integration.domain.events import RecordedEvent
from integration.domain.pagination import MAX_PAGE_SIZE, Page
from integration.domain.principal import TENANT_ID_RULE, Principal, check_tenant_id, operator
from integration.domain.webhook_changes import WebhookPatch
from integration.domain.webhooks import Webhook, WebhookStatus

MAX_REPUBLISHED = 10_000
EXIT_OK, EXIT_NOT_FOUND, EXIT_INVALID = 0, 1, 2
READ_STDIN = "-"
TEXT_LEFT_OUT = ("metadata",)

T = TypeVar("T")


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2030-01-01T00:00:00Z")
    return moment


def _operator(tenant_id: str) -> Principal:
    """The tenant's operator: every scope this deployment knows (the platform's too)."""
    from integration import wiring

    return operator(tenant_id, wiring.scope_catalogue())


def _parser() -> argparse.ArgumentParser:
    from integration import wiring

    parser = argparse.ArgumentParser(
        prog="integration-admin",
        description=__doc__.split("\n\n")[0],
        epilog="exit codes: 0 done, 1 not found, 2 usage error or invalid value (nothing changed)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    tenant_help = f"the tenant id ({TENANT_ID_RULE})"

    create = commands.add_parser("create-key", help="create an API key for a tenant and print it")
    create.add_argument("--tenant", required=True, help=f"the tenant id the key belongs to ({TENANT_ID_RULE})")
    create.add_argument("--name", required=True, help="a label to recognise the key by")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=wiring.scope_catalogue().names,
        help="a scope to grant (this service's or a platform scope); repeat for several",
    )
    create.add_argument("--expires-at", type=datetime.fromisoformat, help="ISO 8601 with a time zone, in the future")

    list_keys = commands.add_parser("list-keys", help="list a tenant's API keys, newest first (never their hash)")
    list_keys.add_argument("--tenant", required=True, help=tenant_help)
    list_keys.add_argument("--all", action="store_true", help="revoked and expired keys too (without it: active ones)")
    list_keys.add_argument("--json", action="store_true", help="one JSON array instead of tab-separated lines")

    revoke = commands.add_parser("revoke-key", help="revoke one of a tenant's API keys")
    revoke.add_argument("--tenant", required=True, help=tenant_help)
    revoke.add_argument("--id", required=True, dest="key_id", help="the key's id (key_...)")

    leaked = commands.add_parser(
        "revoke-leaked",
        help="revoke a leaked key found by its plaintext (give - and pipe the key in)",
        description=(
            "Check the key's checksum, find it by its hash and revoke it with reason 'leaked'; print its tenant and id. "
            "Give - to read the key from stdin (recommended: it stays out of shell history and ps)."
        ),
    )
    leaked.add_argument("key", metavar="KEY", help="the leaked key, or - to read it from stdin (recommended)")

    list_webhooks = commands.add_parser("list-webhooks", help="list a tenant's webhooks (never their secret)")
    list_webhooks.add_argument("--tenant", required=True, help=tenant_help)
    list_webhooks.add_argument(
        "--status", choices=[status.value for status in WebhookStatus], help="only webhooks in this status"
    )
    list_webhooks.add_argument("--json", action="store_true", help="one JSON array instead of tab-separated lines")

    disable = commands.add_parser("disable-webhook", help="disable one of a tenant's webhooks (as a PATCH of its status)")
    disable.add_argument("--tenant", required=True, help=tenant_help)
    disable.add_argument("--id", required=True, dest="webhook_id", help="the webhook's id (wh_...)")

    republish = commands.add_parser("republish", help="publish again the recorded events that never reached the bus")
    republish.add_argument("--since", required=True, type=_aware, help="ISO 8601 with a time zone: events from then on")
    republish.add_argument("--tenant", help="only this tenant's events")
    republish.add_argument("--all", action="store_true", help="every recorded event of --tenant, published or not")
    republish.add_argument("--yes", action="store_true", help="publish (without it: list what would be published)")
    return parser


def _every_page(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def _print_rows(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    """A JSON array, or a header and one tab-separated line per row (lists joined by commas, - for
    none; a key's ``metadata``, a JSON object, only in JSON)."""
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        return
    columns = [name for name in rows[0] if name not in TEXT_LEFT_OUT]
    print("\t".join(columns))
    for row in rows:
        print("\t".join(_cell(row[name]) for name in columns))


def _cell(value: Any) -> str:
    text = ",".join(value) if isinstance(value, list) else ("-" if value is None else str(value))
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")  # a name never breaks the columns


def _key_row(key: ApiKey, now: datetime) -> dict[str, Any]:
    """What ``GET /api-keys`` shows of a key: never its hash."""
    return {
        "id": key.id,
        "name": key.name,
        "status": key.status(now).value,
        "scopes": list(key.scopes),
        "prefix": key.prefix,
        "created_at": _time(key.created_at),
        "created_by": key.created_by,
        "expires_at": _time(key.expires_at),
        "revoked_at": _time(key.revoked_at),
        "revoked_reason": key.revoked_reason,
        "rolled_from": key.rolled_from,
        "last_used_at": _time(key.last_used_at),
        "description": key.description,
        "metadata": None if key.metadata is None else dict(key.metadata),
    }


def _webhook_row(webhook: Webhook) -> dict[str, Any]:
    """What ``GET /webhooks`` shows of a webhook: never its secret."""
    return {
        "id": webhook.id,
        "name": webhook.name,
        "status": webhook.status.value,
        "url": webhook.url,
        "events": list(webhook.events),
        "disabled_reason": webhook.disabled_reason,
        "failing_since": _time(webhook.failing_since),
        "previous_secret_expires_at": _time(webhook.previous_secret_expires_at),
        "created_at": _time(webhook.created_at),
        "updated_at": _time(webhook.updated_at),
        "description": webhook.description,
    }


def _create_key(args: argparse.Namespace) -> int:
    from integration import wiring

    issued = wiring.create_api_key().execute(
        _operator(args.tenant), name=args.name, scopes=args.scopes, expires_at=args.expires_at
    )
    print(
        f"created {issued.api_key.id} for tenant {issued.api_key.tenant_id} with scopes {' '.join(issued.api_key.scopes)}",
        file=sys.stderr,
    )
    print(issued.plaintext)
    return EXIT_OK


def _list_keys(args: argparse.Namespace) -> int:
    from integration import wiring

    principal, use_case, now = _operator(args.tenant), wiring.list_api_keys(), utc_now()
    keys = _every_page(lambda cursor: use_case.execute(principal, limit=MAX_PAGE_SIZE, cursor=cursor))
    rows = [_key_row(key, now) for key in keys if args.all or key.status(now) is ApiKeyStatus.ACTIVE]
    _print_rows(rows, as_json=args.json)
    return EXIT_OK


def _revoke_key(args: argparse.Namespace) -> int:
    from integration import wiring

    started = utc_now()
    key = wiring.revoke_api_key().execute(_operator(args.tenant), args.key_id, reason=REVOKED_BY_OPERATOR)
    done = "revoked" if key.revoked_at is not None and key.revoked_at >= started else "already revoked"
    print(f"tenant {key.tenant_id} key {key.id} {done}")
    return EXIT_OK


def _read_key(argument: str) -> str:
    if argument != READ_STDIN:
        return argument.strip()
    # At a terminal, ask without echoing it; piped, read the first line.
    line = (getpass.getpass("key: ") if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not line:
        raise DomainError("no key on stdin")
    return line


def _revoke_leaked(args: argparse.Namespace) -> int:
    from integration import wiring

    plaintext = _read_key(args.key)
    started = utc_now()
    try:
        key = wiring.revoke_leaked_api_key().execute(plaintext)
    except NotFoundError:
        print("integration-admin: no such key (nothing changed)", file=sys.stderr)
        return EXIT_NOT_FOUND
    except DomainError as error:
        # Never echo the key: whatever the message, without it.
        message = str(error).replace(plaintext, "<the key>") if plaintext else str(error)
        print(f"integration-admin: {message} (nothing changed)", file=sys.stderr)
        return EXIT_INVALID
    done = "revoked (leaked)" if key.revoked_at is not None and key.revoked_at >= started else "already revoked"
    print(f"tenant {key.tenant_id} key {key.id} {done}")
    return EXIT_OK


def _list_webhooks(args: argparse.Namespace) -> int:
    from integration import wiring

    principal, use_case = _operator(args.tenant), wiring.list_webhooks()
    status = None if args.status is None else WebhookStatus(args.status)
    webhooks = _every_page(lambda cursor: use_case.execute(principal, status=status, limit=MAX_PAGE_SIZE, cursor=cursor))
    _print_rows([_webhook_row(webhook) for webhook in webhooks], as_json=args.json)
    return EXIT_OK


def _disable_webhook(args: argparse.Namespace) -> int:
    from integration import wiring

    started = utc_now()
    webhook = wiring.update_webhook().execute(
        _operator(args.tenant), args.webhook_id, WebhookPatch(status=WebhookStatus.DISABLED)
    )
    done = "disabled" if webhook.updated_at >= started else "already disabled"
    print(f"tenant {webhook.tenant_id} webhook {webhook.id} {done}")
    return EXIT_OK


def _republish(args: argparse.Namespace) -> int:
    from integration import wiring

    if args.all and args.tenant is None:
        raise DomainError("--all needs --tenant: it reads one tenant's outbox")
    if args.tenant is not None:
        check_tenant_id(args.tenant)
    use_case = wiring.republish_unpublished_events()
    events: list[RecordedEvent]
    if args.all:
        events = use_case.recorded(args.tenant, since=args.since)
    else:
        events = use_case.pending(older_than=timedelta(0), since=args.since, limit=MAX_REPUBLISHED)
        events = [event for event in events if args.tenant in (None, event.tenant_id)]
    for event in events:
        print(f"{event.event_id} {format_timestamp(event.occurred_at)} {event.tenant_id} {event.event_type}")
    if not args.yes:
        print(f"dry run: {len(events)} event(s) would be published again; add --yes to publish them", file=sys.stderr)
        return EXIT_OK
    result = use_case.publish(events)
    print(f"published {result.republished} of {len(events)} event(s)", file=sys.stderr)
    return EXIT_OK if result.not_published == 0 else 1


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "create-key": _create_key,
    "list-keys": _list_keys,
    "revoke-key": _revoke_key,
    "revoke-leaked": _revoke_leaked,
    "list-webhooks": _list_webhooks,
    "disable-webhook": _disable_webhook,
    "republish": _republish,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)  # the scope choices read the settings
        return COMMANDS[args.command](args)
    except NotFoundError as error:
        print(f"integration-admin: {error}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except (DomainError, RuntimeError) as error:
        print(f"integration-admin: {error}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
