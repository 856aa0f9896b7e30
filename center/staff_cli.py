"""`onetrip staff …` and `onetrip audit …`: accounts and the audit trail from the command line.

Account changes made here are audited like those made on the web (client "cli"). Passwords
are read from the terminal without echo, or from stdin with `--password-stdin` (scripts).
"""
from __future__ import annotations

import argparse
import getpass
import sys

from center import audit
from center.config import CenterConfig
from center.db import Database, open_database
from center.staff import AccountState, Role, StaffDirectory, StaffError, role_name
from core.config import load_config
from core.paths import CONFIG_DIR


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=str(CONFIG_DIR / "hall.toml"), help="hall config (TOML)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="a new account; its initial password must be changed at first sign-in")
    add.add_argument("staff_no", help="工号")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, choices=[r.value for r in Role],
                     help="repeat for several: " + ", ".join(f"{r.value} {role_name(r)}" for r in Role))
    add.add_argument("--password-stdin", action="store_true")
    passwd = sub.add_parser("passwd", help="set a new initial password (changed at the next sign-in)")
    passwd.add_argument("staff_no")
    passwd.add_argument("--password-stdin", action="store_true")
    for action, text in (("lock", "lock the account"), ("unlock", "unlock (also after too many failures)"),
                         ("disable", "disable for good (a person who left)")):
        sub.add_parser(action, help=text).add_argument("staff_no")
    sub.add_parser("list", help="every account, its roles and state")


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("verify", help="check the audit trail's hash chain; exit 1 naming the first broken row")
    export = sub.add_parser("export", help="the audit trail as CSV on stdout")
    export.add_argument("--since", type=float, default=None, help="hall time (epoch seconds) of the first row")


def _database(args: argparse.Namespace) -> tuple[CenterConfig, Database]:
    config = load_config(args.config, CenterConfig)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    return config, open_database(config.database)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("初始密码 initial password: ")
    if getpass.getpass("再输入一次 again: ") != first:
        raise StaffError("login.mismatch")
    return first


def run(args: argparse.Namespace) -> int:
    config, db = _database(args)
    clock = config.clock.clock()
    directory = StaffDirectory(db, clock, config.staff)
    try:
        if args.action == "list":
            for a in directory.listing():
                roles = ",".join(sorted(r.value for r in a.roles))
                print(f"{a.staff_no:<12} {a.name:<10} {roles:<28} {a.state.value}"
                      + ("  (must change password)" if a.must_change else ""))
            return 0
        if args.action == "add":
            account = directory.add(args.staff_no, args.name, {Role(r) for r in args.role}, _password(args))
        elif args.action == "passwd":
            account = directory.set_password(args.staff_no, _password(args), must_change=True)
        else:
            states = {"lock": AccountState.LOCKED, "unlock": AccountState.ACTIVE, "disable": AccountState.DISABLED}
            account = directory.set_state(args.staff_no, states[args.action])
        audit.append(db, audit.AuditEntry(clock.time(), None, None, None, f"cli staff {args.action}",
                                          f"staff_no={account.staff_no}", "ok", "cli"))
        print(f"{account.staff_no} {account.name}: {account.state.value}")
        return 0
    except StaffError as exc:
        print(f"onetrip staff {args.action}: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()


def run_audit(args: argparse.Namespace) -> int:
    _, db = _database(args)
    try:
        if args.action == "export":
            sys.stdout.write(audit.as_csv(db, args.since))
            return 0
        checked, broken = audit.verify(db)
        if broken is not None:
            print(f"audit trail BROKEN at row {broken} ({checked} rows before it are intact)")
            return 1
        print(f"audit trail intact: {checked} rows")
        return 0
    finally:
        db.dispose()
