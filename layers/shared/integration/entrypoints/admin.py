"""``integration-admin``: operator commands against the table the environment names.

    integration-admin create-key --tenant T --name N --scope S [--scope S ...] [--expires-at ISO]
    integration-admin republish --since ISO [--tenant T] [--all] [--yes]

``create-key`` prints the plaintext key as its only stdout line. It is how an operator gives a
tenant its first key. The tenant id follows the same rule as everywhere (the OIDC tenant claim
too): 1 to 128 letters, digits and ``. _ : @ -``, starting with a letter or digit. The key
records ``created_by: operator``.

``republish`` publishes again, in order and with their own ``eventId`` (consumers deduplicate on
it), the recorded events since ``--since`` that never reached the bus (the sweeper does the same
every minute for events older than ``OutboxRepublishAfterSeconds``); with ``--tenant``, only
that tenant's; with ``--all`` (needs ``--tenant``), every event the tenant's outbox still holds
(7 days), published or not. It lists them and changes nothing unless ``--yes`` is given.

It talks to whatever ``TABLE_NAME``, ``EVENT_BUS_NAME`` (republish), ``AWS_ENDPOINT_URL``
(optional; the local runtime prints them all), credentials and region the environment holds.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from integration.domain.clock import format_timestamp
from integration.domain.errors import DomainError
from integration.domain.events import RecordedEvent
from integration.domain.principal import TENANT_ID_RULE, check_tenant_id, operator
from integration.domain.scopes import ALL_SCOPES

MAX_REPUBLISHED = 10_000


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2030-01-01T00:00:00Z")
    return moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="integration-admin", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-key", help="create an API key for a tenant and print it")
    create.add_argument("--tenant", required=True, help=f"the tenant id the key belongs to ({TENANT_ID_RULE})")
    create.add_argument("--name", required=True, help="a label to recognise the key by")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=ALL_SCOPES,
        help="a scope to grant; repeat for several",
    )
    create.add_argument("--expires-at", type=datetime.fromisoformat, help="ISO 8601 with a time zone, in the future")
    republish = commands.add_parser("republish", help="publish again the recorded events that never reached the bus")
    republish.add_argument("--since", required=True, type=_aware, help="ISO 8601 with a time zone: events from then on")
    republish.add_argument("--tenant", help="only this tenant's events")
    republish.add_argument("--all", action="store_true", help="every recorded event of --tenant, published or not")
    republish.add_argument("--yes", action="store_true", help="publish (without it: list what would be published)")
    return parser


def _create_key(args: argparse.Namespace) -> int:
    from integration import wiring

    issued = wiring.create_api_key().execute(
        operator(args.tenant), name=args.name, scopes=args.scopes, expires_at=args.expires_at
    )
    print(
        f"created {issued.api_key.id} for tenant {issued.api_key.tenant_id} with scopes {' '.join(issued.api_key.scopes)}",
        file=sys.stderr,
    )
    print(issued.plaintext)
    return 0


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
        return 0
    result = use_case.publish(events)
    print(f"published {result.republished} of {len(events)} event(s)", file=sys.stderr)
    return 0 if result.not_published == 0 else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"create-key": _create_key, "republish": _republish}[args.command]
    try:
        return command(args)
    except (DomainError, RuntimeError) as error:
        print(f"integration-admin: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
