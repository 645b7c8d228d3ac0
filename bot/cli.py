"""The `accord` command line: serve, tick, migrate, export, report, import, erase, demo, console."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, configure_logging, load_settings, read_environment
from storage.utc import parse_instant, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.wait_clock import WaitClock

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accord", description="Accord: the partnership bot for a shared Slack channel."
    )
    parser.add_argument("--env-file", default=".env", help="file of settings to read (default: .env)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve Slack requests (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)",
                           description="Serve POST /slack/events and GET /healthz; run the scheduler.")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=None, help="port to listen on (default: PORT, 3000)")
    serve.add_argument("--no-scheduler", action="store_true", help="do not run due work in this process")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")

    tick = sub.add_parser("tick", help="process all due work once, deliver the outbox, and exit",
                          description="Run every work item due now (or at --as-of), then send queued messages.")
    tick.add_argument("--as-of", type=_instant, default=None, metavar="ISO8601",
                      help="the time to run as, e.g. 2026-12-01T09:00:00Z (default: now)")

    sub.add_parser("migrate", help="upgrade the database schema to the newest revision",
                   description="Apply the Alembic migrations shipped with Accord, up to head.")

    export = sub.add_parser("export", help="write a channel's plan, history included, as YAML or JSON",
                            description="Write the whole plan of the relationship in a channel, with its history, "
                                        "in a file `accord import` reads back.")
    export.add_argument("--channel", metavar="CHANNEL_ID", help="the channel's Slack id, e.g. C0123 (required "
                                                                "unless --user)")
    export.add_argument("--user", metavar="USER_ID", help="instead: that person's own data (their answers, actions, "
                                                          "history…), in every relationship or --channel's")
    export.add_argument("--format", choices=("yaml", "json"), default="yaml", help="the file format (default: yaml)")
    export.add_argument("--output", metavar="FILE", default=None, help="write to FILE (default: standard output)")

    report = sub.add_parser("report", help="write a channel's audit report: one self-contained HTML file",
                            description="Write the ISO 44001 audit report of the relationship in a channel: the "
                                        "charter, plan and history, reviews, KPIs, check-ins, registers and exit "
                                        "strategy, each section labelled with the clause it evidences.")
    report.add_argument("--channel", required=True, metavar="CHANNEL_ID", help="the channel's Slack id, e.g. C0123")
    report.add_argument("--output", required=True, metavar="FILE", help="the HTML file to write")

    importing = sub.add_parser("import", help="recreate a plan from a file written by `accord export`",
                               description="Check the whole file, then recreate the plan and its history in one "
                                           "transaction; a bad file changes nothing.")
    importing.add_argument("file", metavar="FILE", help="the file to read (`-` reads standard input)")

    erase = sub.add_parser("erase", help="remove a person's personal data (answers, comments; name pseudonymised)",
                           description="Delete a person's check-in answers and comments and pseudonymise their name "
                                       "and Slack id in the history; published figures stay. Safe to repeat.")
    erase.add_argument("--user", required=True, metavar="USER_ID", help="the person's Slack id, e.g. U0123")
    erase.add_argument("--channel", metavar="CHANNEL_ID", help="only this channel's relationship (default: all)")

    demo = sub.add_parser("demo", help="play a quarter of a partnership offline, with the built-in fake Slack",
                          description="Start the fake Slack and the real app on free ports and play one quarter: "
                                      "setup, check-ins, a dispute, a review. Needs no Slack account.")
    demo.add_argument("--dir", default="accord-demo", help="folder for the database and outputs (default: "
                                                          "./accord-demo)")
    demo.add_argument("--fast", action="store_true", help="skip the pauses between steps")

    console = sub.add_parser("console", help="act as any person of either party, offline, in a prompt",
                             description="A prompt on the demo's machinery: `as alice`, `/accord status`, "
                                         "`buttons`, `click 2`, `tick +3d`, `help`.")
    console.add_argument("--dir", default="accord-console", help="folder for the database, kept between runs "
                                                                 "(default: ./accord-console)")
    console.add_argument("--fresh", action="store_true", help="start with a new database instead of the kept one")
    return parser


def _instant(text: str) -> object:
    try:
        return parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None


REQUIRED = {
    "serve": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    "tick": ("SLACK_BOT_TOKEN",),
    "migrate": (),
    "export": (),
    "report": (),
    "import": (),
    "erase": (),
    "demo": (),
    "console": (),
}


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None,
         wait_clock: WaitClock | None = None) -> int:
    """Entry point of the `accord` command.

    `environ` stands for the process environment and `wait_clock` for the clock the command waits by on Slack
    (pacing, retries): both for running the command inside another program, as the tests do."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "export" and not (args.channel or args.user):
        parser.error("export needs --channel (the plan) or --user (a person's own data)")
    try:
        settings = load_settings(read_environment(args.env_file, environ), require=REQUIRED[args.command])
    except SettingsError as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings)
    try:
        return _run(args, settings, wait_clock)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, no traceback
        print(f"accord {args.command}: {exc.__class__.__name__}: {_first_line(exc)}", file=sys.stderr)
        return 1


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def _run(args: argparse.Namespace, settings: Settings, wait_clock: WaitClock | None) -> int:
    from bot import runtime  # imported here so `--help` and bad settings answer fast

    if args.command in ("demo", "console"):
        from bot.demo import main as demo_main

        return demo_main.run_demo(Path(args.dir), fast=args.fast) if args.command == "demo" \
            else demo_main.run_console(Path(args.dir), sys.stdin, sys.stdout, fresh=args.fresh)
    if args.command == "migrate":
        from storage.engine import make_engine
        from storage.migrate import upgrade

        with _disposed(make_engine(settings.database_url)) as engine:
            revision = upgrade(engine)
        print(f"accord: database at revision {revision}")
        return 0
    if args.command == "erase" or (args.command == "export" and args.user):
        from bot import privacy_cli

        with _disposed(runtime.open_database(settings, migrate=False)) as engine:
            return privacy_cli.run(args, engine)
    if args.command in ("export", "import"):
        with _disposed(runtime.open_database(settings, migrate=False)) as engine:
            return _plan_file(args, engine)
    if args.command == "report":
        with _disposed(runtime.open_database(settings, migrate=False)) as engine:
            return _report(args, engine)
    if args.command == "tick":
        with _disposed(runtime.open_database(settings, migrate=False)) as engine:
            now = args.as_of or utcnow()
            outcome = runtime.tick_once(engine, runtime.make_sender(settings, engine, wait_clock=wait_clock), now=now)
        work, sent = outcome.work, outcome.outbox
        print(f"accord tick at {now.isoformat()}: {len(work.done)} done, {len(work.retried)} retried, "
              f"{len(work.failed)} failed; messages: {len(sent.sent)} sent, {len(sent.retried)} to retry, "
              f"{len(sent.failed)} failed")
        return 0
    port = args.port if args.port is not None else settings.port
    return runtime.serve(settings, host=args.host, port=port, scheduler=not args.no_scheduler,
                         migrate=not args.no_migrate)


@contextmanager
def _disposed(engine: Engine) -> Iterator[Engine]:
    """The engine, its connections closed when the command ends (the command may run inside another program)."""
    try:
        yield engine
    finally:
        engine.dispose()


def _plan_file(args: argparse.Namespace, engine: Engine) -> int:
    """`accord export` and `accord import`, in one transaction; a refused file prints one line."""
    from commands.errors import InputError
    from commands.rmp import export, importing
    from storage.engine import transaction

    try:
        if args.command == "export":
            with transaction(engine) as db:
                document = export.dump_text(export.export_plan(db, channel_id=args.channel), args.format)
            if args.output is None:
                sys.stdout.buffer.write(document.encode("utf-8"))
                sys.stdout.flush()
            else:
                _write_bytes(args.output, document.encode("utf-8"))
            return 0
        data = export.load_text(_read_text(args.file))
        with transaction(engine) as db:
            relationship = importing.import_plan(db, data)
        done = f"accord: imported {relationship.name} (channel {relationship.channel_id}, " \
               f"plan version {relationship.version})\n"
        sys.stdout.buffer.write(done.encode("utf-8"))  # the name may be any text, whatever the locale
        sys.stdout.flush()
        return 0
    except InputError as exc:
        print(f"accord {args.command}: {exc.message}", file=sys.stderr)
        return 1


def _report(args: argparse.Namespace, engine: Engine) -> int:
    """`accord report`: the audit report gathered in one read-only transaction, then drawn and written; a channel
    without a relationship prints one line and writes nothing."""
    from bot.report import render_html
    from commands.errors import InputError
    from commands.report import gather
    from storage.engine import reading

    try:
        with reading(engine) as db:
            report = gather.for_channel(db, channel_id=args.channel, now=utcnow())
    except InputError as exc:
        print(f"accord report: {exc.message}", file=sys.stderr)
        return 1
    _write_bytes(args.output, render_html(report).encode("utf-8"))
    print(f"accord: wrote the audit report of {report['relationship']['name']} to {args.output}")
    return 0


def _write_bytes(name: str, content: bytes) -> None:
    from commands.rmp.export import PlanFileError

    try:
        Path(name).write_bytes(content)
    except OSError as exc:
        raise PlanFileError(f"cannot write {name}: {exc.strerror or exc}") from None


def _read_text(name: str) -> str:
    from commands.rmp.export import PlanFileError

    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise PlanFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PlanFileError(f"line {line}: the file is not UTF-8 text", line=line) from None


if __name__ == "__main__":
    sys.exit(main())
