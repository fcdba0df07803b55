"""Staff accounts: Argon2-hashed passwords and roles, and the command that creates them.

Roles: `editor` keeps the knowledge bank, `staff` answers conversations in the console
(issue 5), `admin` may do both. Create an account with

    make add-user USERNAME=amina ROLE=editor

which asks for the password twice (or reads `LOTSEN_NEW_PASSWORD`, for scripts).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.db import Database, Staff, utcnow
from lotsen.settings import settings_or_exit

ROLES = ("staff", "editor", "admin")
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(ValueError):
    """A readable reason an account cannot be created."""


def can(role: str, needed: str) -> bool:
    """Whether `role` may act as `needed` (admin may do everything)."""
    return role == needed or role == "admin"


async def create_account(db: Database, username: str, password: str, role: str, display_name: str = "") -> Staff:
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise AccountError("the username must be 1–64 characters")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    account = Staff(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=_hasher.hash(password),
        role=role,
    )
    async with db.sessions() as session:
        session.add(account)
        try:
            await session.commit()
        except IntegrityError:
            raise AccountError(f"the username {username!r} is taken") from None
    return account


async def authenticate(db: Database, username: str, password: str) -> Staff | None:
    """The account if the password is right, else None (in the same time either way)."""
    async with db.sessions() as session:
        account = await session.scalar(select(Staff).where(Staff.username == username.strip().lower()))
        try:
            _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None:
            return None
        if _hasher.check_needs_rehash(account.password_hash):
            account.password_hash = _hasher.hash(password)
        account.last_login_at = utcnow()
        await session.commit()
        return account


def _password() -> str:
    if password := os.environ.get("LOTSEN_NEW_PASSWORD"):
        return password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise AccountError("the two passwords differ")
    return first


async def _add(args: argparse.Namespace) -> None:
    db = Database(settings_or_exit().database_url)
    await db.create()
    try:
        await create_account(db, args.username, _password(), args.role, args.name or "")
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff.accounts", description="Create a staff account.")
    parser.add_argument("username")
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument("--name", help="the name shown to users and colleagues")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_add(args))
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created {args.role} account {args.username.strip().lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
