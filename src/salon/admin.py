"""Operator commands under ``salon admin``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from salon.lib.auth import ROLES


def add_admin_commands(commands: Any) -> None:
    admin = commands.add_parser("admin", help="operator commands")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser(
        "create-user", help="create an account, e.g. the first admin (prompts for the password)"
    )
    create.add_argument("--username", required=True, help="3-30 letters, digits or underscores")
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=ROLES, default="user")
    create.add_argument("--display-name", default=None)
    create.add_argument(
        "--password", default=None, help="prompted for when omitted (preferred: a flag ends up in shell history)"
    )
    create.set_defaults(handler=cmd_create_user)


def _fail(message: str) -> None:
    print(f"salon: {message}", file=sys.stderr)
    raise SystemExit(1)


def _read_password() -> str:
    password = getpass.getpass("Password: ")
    if sys.stdin.isatty() and getpass.getpass("Repeat password: ") != password:
        _fail("the passwords do not match")
    return password


def _use_dev_database_when_unset() -> None:
    """Without DATABASE_URL, talk to the embedded database of a running ``salon dev`` (same data directory)."""
    from salon.settings import get_settings

    if get_settings().database_url:
        return
    socket_dir = Path(get_settings().data_dir).resolve() / "postgres"
    if not (socket_dir / "postmaster.pid").exists():
        _fail("DATABASE_URL is not set and `salon dev` is not running here: start `salon dev` or set DATABASE_URL.")
    os.environ["DATABASE_URL"] = f"postgresql://postgres:@/salon?host={socket_dir}"
    get_settings.cache_clear()


def cmd_create_user(args: argparse.Namespace) -> None:
    import msgspec

    from salon.accounts.schemas import RegisterBody

    password = args.password if args.password is not None else _read_password()
    try:
        body = msgspec.convert(
            {"username": args.username, "email": args.email, "password": password, "display_name": args.display_name},
            RegisterBody,
        )
    except msgspec.ValidationError as exc:
        _fail(f"invalid account details: {exc}")
    _use_dev_database_when_unset()
    user = asyncio.run(_create_user(body, args.role))
    print(f"salon: created {args.role} {user['username']} (id {user['id']})")


async def _create_user(body: Any, role: str) -> dict[str, Any]:
    from salon.accounts import services
    from salon.lib.errors import AppError
    from salon.settings import get_settings

    try:
        return await services.create_user(
            get_settings(),
            username=body.username,
            email=services.normalise_email(body.email),
            password=body.password,
            display_name=body.display_name,
            role=role,
        )
    except AppError as exc:
        _fail(exc.detail)
        raise  # unreachable
