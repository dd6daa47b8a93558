"""The ``gateway`` console script: one sub-command group per area."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from gateway.bdtx.cli import register_cli as register_bdtx_cli
from gateway.catalog.cli import register_cli as register_catalog_cli
from gateway.catalog.content_cli import register_cli as register_content_cli
from gateway.catalog.content_models import ContentPackage
from gateway.lti.cli import register_cli as register_lti_cli
from gateway.settings import get_settings
from gateway.temis.cli import register_cli as register_temis_cli
from gateway.worker import register_cli as register_worker_cli


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level,
        proxy_headers=True,
    )
    return 0


def _db_upgrade(_args: argparse.Namespace) -> int:
    from gateway.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    print(f"database at the latest schema: {_redacted(settings.database_url)}")
    return 0


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _credentials_create(args: argparse.Namespace) -> int:
    from gateway.db import Database
    from learning_store.clients import create_client, parse_scopes
    from learning_store.errors import BadRequestError

    settings = get_settings()
    database = Database(settings.database_url)
    try:
        scopes = parse_scopes(args.scope)
        created = database.transaction(
            create_client,
            args.name,
            scopes,
            key=args.key,
            secret=args.secret,
            homepage=settings.public_url,
        )
    except BadRequestError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    print(f"name:   {created.name}")
    print(f"key:    {created.key}")
    print(f"secret: {created.secret}")
    print(f"scopes: {' '.join(sorted(created.scopes))}")
    print(f"endpoint: {settings.xapi_base_url}")
    return 0


def _credentials_list(_args: argparse.Namespace) -> int:
    from gateway.db import Database
    from learning_store.clients import list_clients

    database = Database(get_settings().database_url)
    try:
        clients = database.transaction(list_clients)
    finally:
        database.dispose()
    for client in clients:
        state = "active" if client.active else "revoked"
        print(f"{client.key}\t{client.name}\t{client.scopes}\t{state}")
    return 0


def _credentials_revoke(args: argparse.Namespace) -> int:
    from gateway.db import Database
    from learning_store.clients import set_client_active

    database = Database(get_settings().database_url)
    try:
        found = database.transaction(set_client_active, args.key, False)
    finally:
        database.dispose()
    if not found:
        print(f"error: no client with key {args.key!r}", file=sys.stderr)
        return 2
    print(f"revoked {args.key}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="gateway", description="TEMIS LMS Gateway")
    groups = parser.add_subparsers(dest="command", required=True)

    serve = groups.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    db = groups.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="migrate to the latest schema").set_defaults(handler=_db_upgrade)

    creds = groups.add_parser("credentials", help="xAPI client credentials").add_subparsers(
        dest="credentials", required=True
    )
    create = creds.add_parser("create", help="create a key and secret")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", default="all", help="comma-separated xAPI scopes")
    create.add_argument("--key")
    create.add_argument("--secret")
    create.set_defaults(handler=_credentials_create)
    creds.add_parser("list", help="list clients").set_defaults(handler=_credentials_list)
    revoke = creds.add_parser("revoke", help="revoke a client")
    revoke.add_argument("key")
    revoke.set_defaults(handler=_credentials_revoke)

    register_catalog_cli(groups, _catalog_sessions)
    register_content_cli(
        groups,
        _catalog_sessions,
        lambda: get_settings().public_url,
        on_installed=_credit_rule_on_install,
    )
    register_bdtx_cli(groups, _catalog_sessions)
    register_temis_cli(groups, _catalog_sessions)
    register_worker_cli(groups)
    register_lti_cli(groups, _catalog_sessions)
    return parser


def _credit_rule_on_install(session: Session, package: ContentPackage) -> None:
    from gateway.credit_rules import credit_rule_on_install

    credit_rule_on_install(session, package)


def _catalog_sessions() -> sessionmaker[Session]:
    from gateway.db import Database

    return Database(get_settings().database_url).sessions


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gateway`` script."""
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
