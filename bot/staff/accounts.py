"""Staff accounts: Argon2-hashed passwords, roles, the municipalities a staff member works
for, and the command that creates them.

Roles: `editor` keeps the knowledge bank, `staff` answers conversations in the console
(issue 5) for the municipalities in `Staff.municipalities` only, `admin` may do both, for
every municipality, and manages accounts (`/console/admin`). Create an account with

    make add-user USERNAME=sara ROLE=staff MUNICIPALITIES=linkoping,bastad
    make add-user USERNAME=amina ROLE=editor

which asks for the password twice (or reads `LOTSEN_NEW_PASSWORD`, for scripts).

Every change to an account is written to the audit log (`actor` who did it, `target` the
account) in the same transaction as the change.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import AuditEntry, Database, Staff, StaffSession, utcnow
from lotsen.municipalities import municipality_ids
from lotsen.settings import settings_or_exit

ROLES = ("staff", "editor", "admin")
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")

# Audit actions on accounts (the conversation actions are in bot/handoff/staff.py).
ACCOUNT_CREATE = "account_create"
ACCOUNT_DISABLE = "account_disable"
ACCOUNT_ENABLE = "account_enable"
ACCOUNT_SCOPE = "account_scope"
PASSWORD_CHANGE = "password_change"
COMMAND_LINE = "command-line"  # the actor of an account made with `make add-user`


LATER = None  # `gettext(LATER, …)`: translated where it is shown, in the staff's language


def gettext(_language: None, message: str) -> str:
    """Marks `message` for the console catalog (extracted like `bot.staff.i18n.gettext`,
    which pages then call with the staff's language); returns it unchanged."""
    return message


class AccountError(ValueError):
    """A readable reason an account cannot be created or changed; `message` and `params`
    let a page show it in the staff's language."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


class WrongPasswordError(AccountError):
    """The current password given to change it was wrong."""


def can(role: str, needed: str) -> bool:
    """Whether `role` may act as `needed` (admin may do everything)."""
    return role == needed or role == "admin"


def scope_of(account: Staff) -> frozenset[str] | None:
    """The municipalities whose queues, tickets and conversations the account works with;
    None for an admin (all of them)."""
    if account.role == "admin":
        return None
    return frozenset(account.municipalities or ())


def in_scope(account: Staff, municipality: str | None) -> bool:
    scope = scope_of(account)
    return scope is None or (municipality is not None and municipality in scope)


def clean_municipalities(ids: Iterable[str]) -> list[str]:
    """Known municipality ids, deduplicated in the catalogue's order; unknown ones refused."""
    wanted = {part.strip().lower() for part in ids if part.strip()}
    known = municipality_ids()
    unknown = sorted(wanted - set(known))
    if unknown:
        raise AccountError(gettext(LATER, "Unknown municipality: %(ids)s."), ids=", ".join(unknown))
    return [m for m in known if m in wanted]


def required_scope(role: str, ids: Iterable[str]) -> list[str]:
    """The municipalities for a new account; a staff account needs at least one."""
    scope = clean_municipalities(ids)
    if role == "staff" and not scope:
        raise AccountError(gettext(LATER, "A staff account needs at least one municipality."))
    return scope


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        message = gettext(LATER, "The password must be at least %(length)d characters.")
        raise AccountError(message, length=MIN_PASSWORD_LENGTH)


def audit_account(session: AsyncSession, actor: str, action: str, target: str) -> None:
    """An account change, recorded in the same transaction as the change."""
    session.add(AuditEntry(actor=actor, action=action, target=target))


async def create_account(
    db: Database,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    municipalities: Iterable[str] = (),
    actor: str = COMMAND_LINE,
) -> Staff:
    username = username.strip().lower()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError(gettext(LATER, "The username must be 1–64 characters without spaces."))
    if role not in ROLES:
        raise AccountError(gettext(LATER, "The role must be one of %(roles)s."), roles=", ".join(ROLES))
    check_password(password)
    scope = clean_municipalities(municipalities)
    account = Staff(
        username=username,
        display_name=display_name.strip()[:120] or username,
        password_hash=_hasher.hash(password),
        role=role,
        municipalities=scope,
        disabled=False,
    )
    async with db.sessions() as session:
        session.add(account)
        audit_account(session, actor, ACCOUNT_CREATE, username)
        try:
            await session.commit()
        except IntegrityError:
            raise AccountError(gettext(LATER, "The username %(username)s is taken."), username=username) from None
    return account


async def authenticate(db: Database, username: str, password: str) -> Staff | None:
    """The account if the password is right and the account is not disabled, else None
    (in the same time either way)."""
    async with db.sessions() as session:
        account = await session.scalar(select(Staff).where(Staff.username == username.strip().lower()))
        try:
            _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None or account.disabled:
            return None
        if _hasher.check_needs_rehash(account.password_hash):
            account.password_hash = _hasher.hash(password)
        account.last_login_at = utcnow()
        await session.commit()
        return account


async def revoke_sessions(session: AsyncSession, staff_id: int, keep: str | None = None) -> None:
    """Revoke every signed-in browser of the account (except the session `keep`)."""
    query = update(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    await session.execute(query.values(revoked_at=utcnow()))


async def change_password(db: Database, account_id: int, current: str, new: str, keep_session: str) -> None:
    """Set a new password when `current` is right; every other session of the account ends."""
    check_password(new)
    async with db.sessions() as session:
        account = await session.get(Staff, account_id)
        if account is None:
            raise AccountError(gettext(LATER, "No such account."))
        try:
            _hasher.verify(account.password_hash, current)
        except (VerificationError, InvalidHashError):
            raise WrongPasswordError(gettext(LATER, "The current password is wrong.")) from None
        if current == new:
            raise AccountError(gettext(LATER, "The new password must differ from the current one."))
        account.password_hash = _hasher.hash(new)
        await revoke_sessions(session, account.id, keep=keep_session)
        audit_account(session, account.username, PASSWORD_CHANGE, account.username)
        await session.commit()


async def list_accounts(db: Database) -> list[Staff]:
    async with db.sessions() as session:
        return list(await session.scalars(select(Staff).order_by(Staff.username)))


async def set_disabled(db: Database, actor: Staff, account_id: int, disabled: bool) -> Staff:
    """Disable (every session ends at once) or enable an account; not one's own."""
    async with db.sessions() as session:
        account = await session.get(Staff, account_id)
        if account is None:
            raise AccountError(gettext(LATER, "No such account."))
        if account.id == actor.id:
            raise AccountError(gettext(LATER, "You cannot disable your own account."))
        account.disabled = disabled
        if disabled:
            await revoke_sessions(session, account.id)
        audit_account(session, actor.username, ACCOUNT_DISABLE if disabled else ACCOUNT_ENABLE, account.username)
        await session.commit()
        return account


async def set_scope(db: Database, actor: Staff, account_id: int, municipalities: Iterable[str]) -> Staff:
    """Change the municipalities an account works for (effective on its next request)."""
    scope = clean_municipalities(municipalities)
    async with db.sessions() as session:
        account = await session.get(Staff, account_id)
        if account is None:
            raise AccountError(gettext(LATER, "No such account."))
        account.municipalities = scope
        audit_account(session, actor.username, ACCOUNT_SCOPE, account.username)
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
    municipalities = (args.municipalities or "").split(",")
    required_scope(args.role, municipalities)  # refuse a typo before asking for the password
    db = Database(settings_or_exit().database_url)
    await db.create()
    try:
        await create_account(db, args.username, _password(), args.role, args.name or "", municipalities)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff.accounts", description="Create a staff account.")
    parser.add_argument("username")
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument("--name", help="the name shown to users and colleagues")
    parser.add_argument(
        "--municipalities",
        help="comma-separated municipality ids a staff account works for (at least one for ROLE=staff)",
    )
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
