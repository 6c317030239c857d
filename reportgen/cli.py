"""The `reportgen` command. Parses options, calls one library function, and turns library
errors into one line on stderr with a documented exit code. Nothing else here."""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import ConfigError, load_config, mapping_options

# Exit codes (documented in README.md, "Exit codes").
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_SOURCE = 3
EXIT_BUSY = 4
EXIT_OUTPUT = 6
EXIT_REJECTED = 5
EXIT_NOTIFY = 7
EXIT_BUDGET = 8


class ReportgenError(click.ClickException):
    """One line on stderr ("reportgen: <message>") and a specific exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"reportgen: {self.format_message()}", err=True)


def _errors_to_exit_codes(func: Callable) -> Callable:
    """Library errors -> ReportgenError; anything unexpected -> one line, exit 1 (a traceback
    only with --verbose)."""
    from .hosting.htpasswd import AuthError
    from .hosting.publish import LockBusy, PublishError
    from .hosting.serve import ServeError
    from .ingest.connection import SnapshotWriteError
    from .ingest.sources import SourceError
    from .notify import NotifyError
    from .pipeline import TooManyRejected
    from .site.writer import OutputError
    from .sql.changes import NotComparable

    # Each library error says what went wrong in one line; anything else is a bug (exit 1).
    codes = [(ConfigError, EXIT_USAGE), (AuthError, EXIT_USAGE), (ServeError, EXIT_USAGE), (SourceError, EXIT_SOURCE),
             (LockBusy, EXIT_BUSY), (PublishError, EXIT_OUTPUT), (OutputError, EXIT_OUTPUT),
             (SnapshotWriteError, EXIT_OUTPUT), (NotComparable, EXIT_USAGE),
             (NotifyError, EXIT_NOTIFY), (TooManyRejected, EXIT_REJECTED)]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except tuple(cls for cls, _ in codes) as e:
            code = next(c for cls, c in codes if isinstance(e, cls))
            raise ReportgenError(str(e), code) from None
        except KeyboardInterrupt:
            raise ReportgenError("interrupted; the published report is unchanged", 130) from None
        except Exception as e:
            if logging.getLogger("reportgen").isEnabledFor(logging.DEBUG):
                raise
            raise ReportgenError(f"internal error: {type(e).__name__}: {e} (run with --verbose for "
                                 "the traceback)", EXIT_INTERNAL) from None

    return wrapper


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(format="reportgen: %(message)s", stream=sys.stderr)
    logging.getLogger("reportgen").setLevel(logging.DEBUG if verbose else logging.WARNING)


def verbose_option(func: Callable) -> Callable:
    return click.option("-v", "--verbose", is_flag=True, help="Say what each stage does; tracebacks on errors.")(func)


def config_options(func: Callable) -> Callable:
    """Every reportgen.toml key, as an option that overrides it."""
    options = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Config file (default: ./reportgen.toml when it exists)."),
        click.option("--source", help="sqlite:///file.db, duckdb:///file.duckdb, postgresql://... or a folder "
                                      "of usage.* and inference_calls.* files."),
        click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                     help="Output folder (default: output)."),
        click.option("--page-size", type=int, help="Rows per page of every list (default 100)."),
        click.option("--price-tolerance", help="USD a usage price may differ from its inference total "
                                               "(default 0.000001)."),
        click.option("--timezone", help="IANA time zone for days and displayed times (default UTC)."),
        click.option("--title", help="Title of the report."),
        click.option("--keep", type=int, help="How many snapshots to keep in OUT (default 10)."),
        click.option("--notes", type=click.Path(dir_okay=False, path_type=Path),
                     help="A Markdown file of your own notes, shown on the index page."),
        click.option("--since", help="Only requests from this date, time or span back (2026-10-01, 30d)."),
        click.option("--until", help="Only requests up to this date (included), time (excluded) or span back."),
        click.option("--source-timeout", type=float,
                     help="Seconds to wait for a SQLite source another program holds locked (default 30)."),
        click.option("--prices", type=click.Path(dir_okay=False, path_type=Path),
                     help="Your own price table (CSV) instead of genai-prices' bundled one."),
        click.option("--token-convention", type=click.Choice(["cache_separate", "cache_included"]),
                     help="Whether input_tokens include the cache tokens (default cache_separate)."),
        click.option("--max-rejected-ratio", type=float,
                     help="Fail (exit 5) when more than this share of a table's rows is rejected."),
        click.option("--table", "table_maps", multiple=True, metavar="CANONICAL=NAME",
                     help="Source table name, e.g. usage=requests. Repeatable."),
        click.option("--column", "column_maps", multiple=True, metavar="TABLE.COLUMN=NAME",
                     help="Source column name, e.g. usage.user_id=account. Repeatable."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _load(config_path: Path | None, table_maps: tuple[str, ...], column_maps: tuple[str, ...],
          **settings: Any) -> Any:
    return load_config(config_path, {**settings, **mapping_options(table_maps, column_maps)})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """Turn an LLM product's usage tables into a static, paginated HTML report and JSON API."""
    # SIGTERM (systemd stop, kill) ends a build like Ctrl-C: staging folder removed, workers
    # stopped, latest untouched, exit 130
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@main.command()
@config_options
@click.option("--wait", type=float, default=0, show_default=True,
              help="Seconds to wait for another build on the same OUT to finish.")
@click.option("--workers", type=click.IntRange(1, 16), help="Render processes (default: up to 2).")
@click.option("--fail-on-budget", is_flag=True,
              help="Exit 8 when the latest month's spend is over a [budgets] limit (the report is still published).")
@verbose_option
@_errors_to_exit_codes
def build(wait: float, workers: int | None, fail_on_budget: bool, verbose: bool, **options: Any) -> None:
    """Snapshot the source, analyse it and publish the site to OUT/latest.

    Quiet on success unless stderr is a terminal or --verbose is given.
    """
    _setup_logging(verbose)
    from .pipeline import build as run_build

    config = _load(**options)
    if not config.source:
        raise ConfigError("no source: give --source or set source in reportgen.toml")
    with _progress_bar() as progress:
        result = run_build(config, wait_seconds=wait, workers=workers, progress=progress)
    if verbose or sys.stderr.isatty():
        _report(result)
    if fail_on_budget and result.exceeded_budgets:
        raise ReportgenError(f"over budget ({'; '.join(result.exceeded_budgets)}); the report is published",
                             EXIT_BUDGET)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Output folder for the demo site.")
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), default=Path("demo-data/demo.db"),
              show_default=True, help="Demo data file: SQLite, or DuckDB generated in SQL if named *.duckdb.")
@click.option("--rows", type=click.IntRange(10, 10_000_000), default=3000, show_default=True,
              help="About how many requests to generate.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed; same seed, same data.")
@click.option("--no-build", is_flag=True, help="Only write the data file.")
@verbose_option
@_errors_to_exit_codes
def demo(out: Path, data: Path, rows: int, seed: int, no_build: bool, verbose: bool) -> None:
    """Generate a month of realistic demo usage (with every awkward case) and build its report."""
    _setup_logging(verbose)
    from . import demo as demo_data
    from .pipeline import build as run_build

    large = data.suffix == ".duckdb"
    written = (demo_data.generate_large if large else demo_data.generate)(data, rows=rows, seed=seed)
    click.echo(f"demo data: {data} ({written['usage']} usage rows, {written['inference_calls']} inference calls)")
    if no_build:
        return
    source = f"{'duckdb' if large else 'sqlite'}://{data.resolve()}"
    config = load_config(None, {"source": source, "out": out, "title": "Demo product usage"})
    with _progress_bar() as progress:
        result = run_build(config, progress=progress)
    _report(result)


def _report(result: Any) -> None:
    """What a build says on a terminal: its figures on stderr, where the report is on stdout."""
    click.echo("\n".join(result.summary()), err=True)
    click.echo(f"report: {result.report}")


@contextlib.contextmanager
def _progress_bar() -> Iterator[Callable[[int], Callable[[int], None]] | None]:
    """`start(total)` for the pipeline, which shows a bar on stderr when it is a terminal (nothing
    under cron) and returns the bar's `update`; the bar is closed when the block ends."""
    if not sys.stderr.isatty():
        yield None
        return
    with contextlib.ExitStack() as bars:

        def start(total: int) -> Callable[[int], None]:
            bar = bars.enter_context(click.progressbar(length=total, label="rendering", file=sys.stderr))
            return bar.update

        yield start


def _out_and_config(config_path: Path | None, out: Path | None) -> Any:
    return load_config(config_path, {"out": out})


out_option = click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                          help="Output folder (default: from reportgen.toml, else output).")
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             help="Config file (default: ./reportgen.toml when it exists).")


@main.command()
@config_option
@out_option
@click.option("--list", "list_", is_flag=True, help="List the snapshots, marking the one latest points to, with "
              "the disk each holds alone and shares with others by hard link.")
@click.option("--rollback", is_flag=True, help="Point latest at the snapshot before the current one.")
@click.option("--to", "to_id", metavar="SNAPSHOT_ID", help="Point latest at this snapshot.")
@click.option("--wait", type=float, default=0, show_default=True, help="Seconds to wait for a running build.")
@_errors_to_exit_codes
def publish(config_path: Path | None, out: Path | None, list_: bool, rollback: bool, to_id: str | None,
            wait: float) -> None:
    """List snapshots, or switch OUT/latest to another one (roll back) atomically."""
    from .hosting import publish as publishing

    config = _out_and_config(config_path, out)
    if rollback == bool(to_id) and not list_:
        raise ConfigError("give one of --list, --rollback or --to SNAPSHOT_ID")
    if list_:
        current = publishing.latest_id(config.out)
        for snapshot_id in publishing.snapshot_ids(config.out):
            own, shared = publishing.disk_use(config.out / publishing.SNAPSHOTS / snapshot_id)
            click.echo(f"{'*' if snapshot_id == current else ' '} {snapshot_id}  "
                       f"{own / 2**20:,.1f} MB own, {shared / 2**20:,.1f} MB shared")
        return
    with publishing.build_lock(config.out, wait):
        target = to_id or publishing.previous_id(config.out)
        publishing.point_latest(config.out, target)
    click.echo(f"latest -> snapshots/{target}")


@main.command()
@click.argument("older", metavar="A")
@click.argument("newer", metavar="B")
@config_option
@out_option
@_errors_to_exit_codes
def diff(older: str, newer: str, config_path: Path | None, out: Path | None) -> None:
    """Print what changed from published snapshot A to snapshot B, as api/changes.json (JSON).

    A and B are snapshot ids (see `publish --list`) or `latest`."""
    from .hosting import publish as publishing
    from .sql import changes

    config = _out_and_config(config_path, out)
    folders = []
    for given in (older, newer):
        snapshot_id = publishing.latest_id(config.out) if given == publishing.LATEST else given
        folder = config.out / publishing.SNAPSHOTS / (snapshot_id or given)
        if not snapshot_id or "/" in snapshot_id or not folder.is_dir():
            raise ConfigError(f"no snapshot {given!r} in {config.out / publishing.SNAPSHOTS} (see `publish --list`)")
        folders.append(folder)
    click.echo(changes.diff(*folders))


@main.group()
def auth() -> None:
    """Maintain the htpasswd file and print server configuration for basic-auth hosting."""


htpasswd_option = click.option("--htpasswd", type=click.Path(dir_okay=False, path_type=Path),
                               help="htpasswd file (default: from reportgen.toml, else OUT/.htpasswd).")


def _htpasswd(config_path: Path | None, out: Path | None, htpasswd: Path | None) -> tuple[Any, Path]:
    config = _out_and_config(config_path, out)
    return config, htpasswd or config.htpasswd or config.out / ".htpasswd"


@auth.command("add")
@click.argument("user")
@config_option
@out_option
@htpasswd_option
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.option("--cost", type=int, default=None, help="bcrypt cost, 8 to 14 (default 9; see README).")
@click.option("--group", help="Let this group (the web server's, e.g. www-data) read the file: mode 0640.")
@_errors_to_exit_codes
def auth_add(user: str, config_path, out, htpasswd, password_stdin: bool, cost: int | None,
             group: str | None) -> None:
    """Add USER (or change their password). The password is prompted for, never an argument."""
    from .hosting.htpasswd import DEFAULT_COST, add_user

    _, path = _htpasswd(config_path, out, htpasswd)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"Password for {user}", hide_input=True, confirmation_prompt=True, err=True)
    existed = add_user(path, user, password, cost or DEFAULT_COST, group)
    click.echo(f"{'updated' if existed else 'added'} {user} in {path}", err=True)


@auth.command("remove")
@click.argument("user")
@config_option
@out_option
@htpasswd_option
@_errors_to_exit_codes
def auth_remove(user: str, config_path, out, htpasswd) -> None:
    """Remove USER from the htpasswd file."""
    from .hosting.htpasswd import remove_user

    _, path = _htpasswd(config_path, out, htpasswd)
    remove_user(path, user)
    click.echo(f"removed {user} from {path}", err=True)


@auth.command("config")
@click.argument("server", type=click.Choice(["nginx", "apache", "caddy"]))
@config_option
@out_option
@htpasswd_option
@click.option("--listen", default="443 ssl", show_default=True, help="nginx listen directive.")
@click.option("--server-name", default="reports.example.com", show_default=True, help="Host name served.")
@_errors_to_exit_codes
def auth_config(server: str, config_path, out, htpasswd, listen: str, server_name: str) -> None:
    """Print a working SERVER config that serves OUT behind basic auth."""
    from .hosting.servers import server_config

    config, path = _htpasswd(config_path, out, htpasswd)
    click.echo(server_config(server, config.out, path, listen, server_name), nl=False)


@main.command()
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@htpasswd_option
@verbose_option
@_errors_to_exit_codes
def serve(out: Path, host: str, port: int, htpasswd: Path | None, verbose: bool) -> None:
    """Preview OUT over HTTP with the same routes, headers and basic auth as the server configs.

    Uses OUT/.htpasswd when it exists; without one, only a loopback address is served."""
    from .hosting.serve import make_server

    server = make_server(out, host, port, htpasswd, quiet=not verbose)
    auth = " (basic auth)" if server.RequestHandlerClass.users is not None else " (no auth: loopback only)"
    click.echo(f"serving {out} on http://{host}:{server.server_address[1]}/{auth}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@config_option
@out_option
@click.option("--to", "to", multiple=True, help="Recipient; repeatable (default: email_to in the config).")
@click.option("--base-url", help="https:// URL where OUT is served (default: base_url in the config).")
@click.option("--snapshot", "snapshot_id", help="Snapshot to announce (default: the one latest points to).")
@click.option("--from", "sender", help="Sender address (default: email_from in the config).")
@click.option("--smtp-host", help="SMTP server (default: smtp_host, else localhost).")
@click.option("--smtp-port", type=int, help="SMTP port (default: smtp_port, else 25).")
@click.option("--starttls/--no-starttls", default=None, help="Use STARTTLS (default: smtp_starttls).")
@click.option("--smtp-user", help="SMTP user; the password is read from REPORTGEN_SMTP_PASSWORD.")
@click.option("--eml", type=click.Path(dir_okay=False, path_type=Path), help="Write the message to this file "
              "instead of sending it.")
@_errors_to_exit_codes
def email(config_path, out, to, base_url, snapshot_id, sender, smtp_host, smtp_port, starttls, smtp_user,
          eml) -> None:
    """E-mail the link to a snapshot with its headline figures."""
    import os

    from .notify import PASSWORD_VARIABLE, Smtp, compose, send, write_eml

    config = _out_and_config(config_path, out)
    recipients = list(to) or list(config.email_to)
    if not recipients:
        raise ConfigError("no recipient: give --to or set email_to in reportgen.toml")
    base_url = base_url or config.base_url
    if not base_url:
        raise ConfigError("no --base-url (or base_url in reportgen.toml): the link needs it")
    message = compose(config.out, base_url, sender or config.email_from, recipients, snapshot_id, config.timezone)
    if eml:
        write_eml(eml, message)
        return
    send(message, Smtp(smtp_host or config.smtp_host, smtp_port or config.smtp_port,
                       config.smtp_starttls if starttls is None else starttls, smtp_user or config.smtp_user,
                       os.environ.get(PASSWORD_VARIABLE)))


@main.command()
@config_options
@verbose_option
@_errors_to_exit_codes
def check(verbose: bool, **options: Any) -> None:
    """Read the source like a build and report on it, without writing a site.

    Prints rows per table, rejected rows by reason with examples, orphans, requests without
    calls and the date range. Exit 0 when the source is readable, 3 when it is not, 5 when
    --max-rejected-ratio is exceeded.
    """
    _setup_logging(verbose)
    from .check import check_source
    from .pipeline import check_rejected_ratio

    config = _load(**options)
    if not config.source:
        raise ConfigError("no source: give --source or set source in reportgen.toml")
    report = check_source(config)
    click.echo("\n".join(report.lines()))
    check_rejected_ratio(config, report.counts)
