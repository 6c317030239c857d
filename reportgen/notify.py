"""E-mail a link to a published snapshot with its headline figures: a multipart message (the
Markdown text, and its HTML), sent over SMTP or written to an .eml file."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from markupsafe import escape

from .hosting import publish
from .ingest.connection import SNAPSHOT_DB, connect
from .site import queries as pages
from .site.templating import format_count, format_time, format_usd_cents, markdown_html, text_environment

PASSWORD_VARIABLE = "REPORTGEN_SMTP_PASSWORD"


class NotifyError(ValueError):
    """The message cannot be composed or sent; one line, no credentials."""


@dataclass(frozen=True)
class Smtp:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None


def snapshot_link(base_url: str, snapshot_id: str) -> str:
    """The permanent link of a snapshot. Only https, and never credentials or a query."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise NotifyError(f"--base-url must be an https:// URL, got {parts.scheme or 'no scheme'}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise NotifyError("--base-url must not carry credentials, a query or a fragment")
    return f"{base_url.rstrip('/')}/snapshots/{snapshot_id}/"


def _figures(out: Path, snapshot_id: str) -> dict:
    con = connect(out / publish.SNAPSHOTS / snapshot_id / SNAPSHOT_DB, read_only=True)
    try:
        users = [pages.parse_item(i) for i in pages.page_items_json(con, "users", 0, 5)]
        return {"headline": pages.headline(con), "meta": pages.meta(con, 0), "top_users": users,
                "discrepancies": pages.discrepancy_totals(con), "changes": _changes(con),
                "budgets": pages.budgets(con)}
    finally:
        con.close()


def _changes(con) -> dict | None:
    """The snapshot's own comparison with the one before it (as on its changes page); None for
    a snapshot built before there was one."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'api_changes'").fetchone()[0]:
        return None
    return pages.changes(con)[1]


def _cell(text: str) -> str:
    """A value inside a Markdown table cell: a `|` would end the cell."""
    return str(text).replace("|", "\\|")


def compose(out: Path, base_url: str, sender: str, recipients: list[str], snapshot_id: str | None = None,
            timezone: str = "UTC") -> EmailMessage:
    snapshot_id = snapshot_id or publish.latest_id(out)
    if not snapshot_id or not (out / publish.SNAPSHOTS / snapshot_id).is_dir():
        raise NotifyError(f"no published snapshot {snapshot_id or ''} in {out}".replace("  ", " "))
    link = snapshot_link(base_url, snapshot_id)
    now = _figures(out, snapshot_id)
    zone = ZoneInfo(timezone)
    env = text_environment()
    env.filters.update(usd=format_usd_cents, signed_usd=_signed_cents, count=format_count, cell=_cell,
                       when=lambda iso: format_time(iso, zone),
                       day=lambda iso: format_time(iso, zone)[:10] if iso else "—")
    text = env.get_template("email.md").render(link=link, **now)
    headline = now["headline"]
    title = now["meta"]["title"]
    subject = (f"{title}: {env.filters['day'](headline['first_request_at'])} to "
               f"{env.filters['day'](headline['last_request_at'])}, {format_usd_cents(headline['price'])} spent")

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    html = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(subject)}</title>'
            f"</head><body>{markdown_html(text)}</body></html>")
    message.add_alternative(html, subtype="html")
    return message


def _signed_cents(value) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + format_usd_cents(value)


def write_eml(path: Path, message: EmailMessage) -> None:
    try:
        path.write_bytes(bytes(message))
    except OSError as e:
        raise NotifyError(f"cannot write {path}: {e.strerror}") from None


def send(message: EmailMessage, smtp: Smtp) -> None:
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                if not smtp.password:
                    raise NotifyError(f"SMTP user given but no password: set {PASSWORD_VARIABLE}")
                client.login(smtp.user, smtp.password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as e:
        detail = str(e).replace(smtp.password, "***") if smtp.password else str(e)
        raise NotifyError(f"cannot send mail through {smtp.host}:{smtp.port}: {detail.splitlines()[0]}") from None
