"""Operator commands under ``salon admin``."""

from __future__ import annotations

import argparse
from typing import Any


def add_admin_commands(commands: Any) -> None:
    admin = commands.add_parser("admin", help="operator commands")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    del admin_commands  # accounts adds `create-user`
    admin.set_defaults(handler=_no_command)


def _no_command(args: argparse.Namespace) -> None:  # pragma: no cover - argparse requires a subcommand
    raise SystemExit(2)
