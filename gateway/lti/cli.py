"""``gateway platforms …`` and ``gateway keys …``: LTI registrations and the tool's keys."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from gateway.lti import keys, platforms
from gateway.lti.errors import LtiError
from gateway.lti.models import ACTIVE, DISABLED, PENDING
from gateway.lti.settings import get_lti_settings

SessionFactoryProvider = Callable[[], sessionmaker[Session]]

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def register_cli(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    session_factory_provider: SessionFactoryProvider,
    secret_provider: Callable[[], str] | None = None,
) -> None:
    """Add the ``platforms`` and ``keys`` groups; each command sets ``handler(args)``."""
    secret = secret_provider or _secret

    def run(action: Callable[[Session, argparse.Namespace], int]) -> Callable[..., int]:
        def handler(args: argparse.Namespace) -> int:
            factory = session_factory_provider()
            try:
                with factory.begin() as session:
                    return action(session, args)
            except LtiError as exc:
                print(f"error: {exc.message}", file=sys.stderr)
                return EXIT_BAD_INPUT

        return handler

    group = subparsers.add_parser(
        "platforms",
        help="đăng ký LMS (LTI 1.3) / LMS registrations",
        description="Đăng ký LMS và bản cài đặt / LMS registrations and their deployments",
    )
    commands = group.add_subparsers(dest="platforms_command", metavar="COMMAND", required=True)

    add = commands.add_parser("add", help="thêm đăng ký / add a registration")
    add.add_argument("--issuer", required=True, help="Platform ID (iss)")
    add.add_argument("--client-id", required=True)
    add.add_argument("--auth-login-url", required=True, help="Authentication request URL")
    add.add_argument("--auth-token-url", required=True, help="Access token URL")
    add.add_argument("--key-set-url", required=True, help="Public keyset URL")
    add.add_argument("--name", default="")
    add.add_argument("--auth-audience")
    add.add_argument("--deployment-id", action="append", default=[], dest="deployment_ids")
    add.add_argument("--pending", action="store_true", help="chờ kích hoạt / add as pending")
    add.set_defaults(handler=run(_add))

    commands.add_parser("list", help="liệt kê / list").set_defaults(handler=run(_list))
    for name, status, text in (
        ("activate", ACTIVE, "kích hoạt / activate"),
        ("disable", DISABLED, "vô hiệu hoá / disable"),
    ):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("id", type=int)
        cmd.set_defaults(handler=run(_status(status)))
    remove = commands.add_parser("remove", help="xoá đăng ký chưa dùng / remove an unused one")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=run(_remove))
    deployment = commands.add_parser(
        "deployment", help="thêm/duyệt bản cài đặt / add or approve a deployment"
    )
    deployment.add_argument("id", type=int, help="registration id")
    deployment.add_argument("deployment_id")
    deployment.add_argument("--status", choices=[ACTIVE, PENDING, DISABLED], default=ACTIVE)
    deployment.set_defaults(handler=run(_deployment))

    key_group = subparsers.add_parser("keys", help="khoá của công cụ LTI / the LTI tool's keys")
    key_commands = key_group.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)
    rotate = key_commands.add_parser("rotate", help="xoay khoá / rotate the signing key")
    rotate.add_argument(
        "--grace-hours",
        type=float,
        default=None,
        help="giữ khoá cũ bao lâu / how long the old key stays published",
    )
    rotate.set_defaults(handler=run(lambda s, a: _rotate(s, a, secret())))
    key_commands.add_parser("list", help="liệt kê / list").set_defaults(handler=run(_keys))


def _secret() -> str:
    from gateway.settings import get_settings

    return get_settings().secret_key.get_secret_value()


def _add(session: Session, args: argparse.Namespace) -> int:
    platform = platforms.add_platform(
        session,
        issuer=args.issuer,
        client_id=args.client_id,
        auth_login_url=args.auth_login_url,
        auth_token_url=args.auth_token_url,
        key_set_url=args.key_set_url,
        name=args.name,
        auth_audience=args.auth_audience,
        deployment_ids=tuple(args.deployment_ids),
        status=PENDING if args.pending else ACTIVE,
    )
    print(f"Đã thêm đăng ký / added registration #{platform.id} ({platform.status})")
    return EXIT_OK


def _list(session: Session, _args: argparse.Namespace) -> int:
    views = platforms.list_platforms(session)
    for view in views:
        p = view.platform
        print(f"#{p.id}\t{p.status}\t{p.source}\t{p.issuer}\tclient_id={p.client_id}\t{p.name}")
        for d in view.deployments:
            print(f"\tdeployment {d.deployment_id}\t{d.status}")
    print(f"{len(views)} đăng ký / registrations")
    return EXIT_OK


def _status(status: str) -> Callable[[Session, argparse.Namespace], int]:
    def change(session: Session, args: argparse.Namespace) -> int:
        platform = platforms.set_platform_status(session, args.id, status)
        print(f"#{platform.id}: {platform.status}")
        return EXIT_OK

    return change


def _remove(session: Session, args: argparse.Namespace) -> int:
    platforms.remove_platform(session, args.id)
    print(f"Đã xoá / removed #{args.id}")
    return EXIT_OK


def _deployment(session: Session, args: argparse.Namespace) -> int:
    deployment = platforms.add_deployment(session, args.id, args.deployment_id, args.status)
    print(f"#{args.id} deployment {deployment.deployment_id}: {deployment.status}")
    return EXIT_OK


def _rotate(session: Session, args: argparse.Namespace, secret: str) -> int:
    hours = args.grace_hours if args.grace_hours is not None else get_lti_settings().key_grace_hours
    new, old = keys.rotate(session, secret, timedelta(hours=hours))
    print(f"Khoá mới / new key: {new}")
    for kid in old:
        print(f"Khoá cũ còn công bố {hours:g} giờ / old key published for {hours:g} h: {kid}")
    return EXIT_OK


def _keys(session: Session, _args: argparse.Namespace) -> int:
    for key in keys.list_keys(session):
        retire = f"\tretire_at={key.retire_at:%Y-%m-%d %H:%M}Z" if key.retire_at else ""
        print(f"{key.kid}\t{key.status}\tcreated={key.created_at:%Y-%m-%d %H:%M}Z{retire}")
    return EXIT_OK
