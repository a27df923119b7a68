"""``integration-admin``: operator commands against the table the environment names.

    integration-admin create-key --tenant T --name N --scope S [--scope S ...] [--expires-at ISO]

prints the plaintext key as its only stdout line. It is how an operator gives a tenant its
first key. The tenant id follows the same rule as everywhere (the OIDC tenant claim too): 1 to
128 letters, digits and ``. _ : @ -``, starting with a letter or digit. The key records
``created_by: operator``. It talks to whatever ``TABLE_NAME``, ``AWS_ENDPOINT_URL`` (optional; the local
runtime prints it), credentials and region the environment holds.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from integration.application.api_keys import CreateApiKeyUseCase
from integration.domain.errors import DomainError
from integration.domain.principal import TENANT_ID_RULE, operator
from integration.domain.scopes import ALL_SCOPES


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from integration.wiring import api_key_repository

    try:
        issued = CreateApiKeyUseCase(api_key_repository()).execute(
            operator(args.tenant), name=args.name, scopes=args.scopes, expires_at=args.expires_at
        )
    except (DomainError, RuntimeError) as error:
        print(f"integration-admin: {error}", file=sys.stderr)
        return 2
    print(
        f"created {issued.api_key.id} for tenant {issued.api_key.tenant_id} with scopes {' '.join(issued.api_key.scopes)}",
        file=sys.stderr,
    )
    print(issued.plaintext)
    return 0


if __name__ == "__main__":
    sys.exit(main())
