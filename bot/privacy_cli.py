"""`accord erase --user U…` and `accord export --user U…`: the command line of commands/privacy, in one
transaction each; an unknown person is one line on stderr and exit 1, nothing changed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.engine import Engine

from commands.errors import InputError
from commands.privacy import erasure, personal
from storage.engine import transaction
from storage.utc import utcnow


def run(args: argparse.Namespace, engine: Engine) -> int:
    """Run `accord erase` or `accord export --user`; 0 when done, 1 (one line said) when refused."""
    try:
        if args.command == "erase":
            return _erase(args, engine)
        return _export(args, engine)
    except InputError as exc:
        print(f"accord {args.command}: {exc.message}", file=sys.stderr)
        return 1


def _erase(args: argparse.Namespace, engine: Engine) -> int:
    with transaction(engine) as db:
        report = erasure.erase_user(db, user_id=args.user, channel_id=args.channel, now=utcnow())
    for done in report.relationships:
        what = "already erased: nothing more to remove" if done.already else \
            f"{done.answers} check-in answers ({done.comments} with comments) deleted, {done.history} history " \
            "entries pseudonymised"
        _say(f"accord: {report.user_id} in {done.relationship} (channel {done.channel_id}) is now {done.name}: "
             f"{what}\n")
    return 0


def _export(args: argparse.Namespace, engine: Engine) -> int:
    with transaction(engine) as db:
        document = personal.dump(personal.export_user(db, user_id=args.user, channel_id=args.channel, now=utcnow()),
                                 args.format)
    if args.output is None:
        _say(document)
        return 0
    try:
        Path(args.output).write_text(document, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return 0


def _say(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))  # names may be any text, whatever the locale
    sys.stdout.flush()
