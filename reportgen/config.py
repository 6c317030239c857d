"""reportgen.toml (plus command-line overrides) -> one frozen, validated Config."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

USAGE = "usage"
INFERENCE_CALLS = "inference_calls"
TABLES = (USAGE, INFERENCE_CALLS)

TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")

# Canonical columns of each input table, and which of them must exist in the source.
COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    USAGE: ("id", "created_at", "user_id", "handle", "model", *TOKEN_COLUMNS, "price"),
    INFERENCE_CALLS: ("id", "usage_id", "created_at", "user_id", "model", *TOKEN_COLUMNS, "price"),
})
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    USAGE: ("id", "created_at", "user_id"),
    INFERENCE_CALLS: ("id", "created_at"),
})

DEFAULT_CONFIG_FILE = "reportgen.toml"
SETTINGS = ("source", "out", "page_size", "price_tolerance", "timezone", "title", "keep", "notes",
            "htpasswd", "base_url", "email_from", "email_to", "smtp_host", "smtp_port", "smtp_starttls", "smtp_user",
            "since", "until", "max_rejected_ratio", "source_timeout", "prices", "token_convention")
SECTIONS = ("tables", "columns", "budgets")
BUDGET_SCOPES = {"users": "user", "models": "model"}  # [budgets.<section>] -> scope


# How the source counts cached tokens (see docs/reference.md, "Expected price"):
#   cache_separate  input_tokens are the uncached input; cache reads and writes are counted apart
#                   (Anthropic's usage, and this schema's four disjoint columns)
#   cache_included  input_tokens include the cache reads and writes (OpenAI's prompt_tokens,
#                   genai-prices' own convention)
TOKEN_CONVENTIONS = ("cache_separate", "cache_included")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the offending key or value."""


@dataclass(frozen=True)
class Budget:
    """A monthly spending limit: of the whole report (scope total), of one user or of one model."""
    scope: str  # total | user | model
    key: str | None  # the user_id or model; None for total
    monthly_usd: Decimal

    @property
    def label(self) -> str:
        return "all users" if self.scope == "total" else f"{self.scope} {self.key}"


@dataclass(frozen=True)
class Config:
    source: str | None = None
    out: Path = Path("output")
    page_size: int = 100
    price_tolerance: Decimal = Decimal("0.000001")
    timezone: str = "UTC"
    title: str = "LLM usage report"
    keep: int = 10
    notes: Path | None = None  # the operator's Markdown notes, shown on the index page
    since: str | None = None  # window bounds as written; resolved against the clock by window.py
    until: str | None = None
    max_rejected_ratio: float | None = None  # fail before publishing when more are rejected
    source_timeout: float = 30.0  # seconds to wait for a SQLite source another program holds locked
    prices: Path | None = None  # the operator's price table (CSV); None: genai-prices' bundled one
    token_convention: str = "cache_separate"  # one of TOKEN_CONVENTIONS
    budgets: tuple[Budget, ...] = ()  # [budgets]: monthly limits, shown against each month's spend
    # hosting and e-mail (the SMTP password comes from REPORTGEN_SMTP_PASSWORD, never a file)
    htpasswd: Path | None = None
    base_url: str | None = None
    email_from: str = "reportgen@localhost"
    email_to: tuple[str, ...] = ()
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    # canonical table name -> name in the source
    tables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({t: t for t in TABLES}))
    # canonical table -> canonical column -> column name in the source
    columns: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType(
            {t: MappingProxyType({c: c for c in COLUMNS[t]}) for t in TABLES}
        )
    )

    def source_column(self, table: str, column: str) -> str:
        return self.columns[table][column]


def load_config(path: Path | None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read `path` (or ./reportgen.toml when it exists) and apply command-line overrides.

    `overrides` holds settings by name (None means "not given"), plus `tables` and `columns`
    mappings shaped like their TOML sections.
    """
    raw: dict[str, Any] = {}
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = Path(DEFAULT_CONFIG_FILE)
    if path is not None:
        raw = _read_toml(path)
    where = str(path) if path else "the command line"
    _check_keys(raw, set(SETTINGS) | set(SECTIONS), "top level", where)

    overrides = dict(overrides or {})
    tables = {**raw.get("tables", {}), **(overrides.pop("tables", None) or {})}
    columns = _merge_columns(raw.get("columns", {}), overrides.pop("columns", None) or {}, where)
    settings = {k: v for k, v in raw.items() if k in SETTINGS}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    config = _build(settings, tables, columns, where)
    return replace(config, budgets=_budgets(raw.get("budgets", {}), where))


def _budgets(section: Any, where: str) -> tuple[Budget, ...]:
    """[budgets]: `total = USD`, and tables [budgets.users] and [budgets.models] of key = USD."""
    if not isinstance(section, dict):
        raise ConfigError(f"[budgets] in {where} must be a table")
    _check_keys(section, {"total", *BUDGET_SCOPES}, "[budgets]", where)
    budgets = []
    if "total" in section:
        budgets.append(Budget("total", None, _usd(section["total"], "budgets.total")))
    for name, scope in BUDGET_SCOPES.items():
        limits = section.get(name, {})
        if not isinstance(limits, dict):
            raise ConfigError(f"[budgets.{name}] in {where} must be a table of {scope} = USD")
        budgets += [Budget(scope, str(key), _usd(value, f"budgets.{name}.{key}")) for key, value in limits.items()]
    return tuple(budgets)


def _usd(value: Any, name: str) -> Decimal:
    try:
        # str() first so a TOML float like 12.34 is taken as written, not as its binary value
        amount = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise ConfigError(f"{name} must be a non-negative number of USD per month, got {value!r}")
    return amount


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None


def _check_keys(section: Mapping[str, Any], allowed: set[str], name: str, where: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {name} of {where} (allowed: {', '.join(sorted(allowed))})"
        )


def _merge_columns(from_file: Any, from_cli: Mapping[str, Mapping[str, str]], where: str) -> dict:
    if not isinstance(from_file, dict):
        raise ConfigError(f"[columns] in {where} must be a table")
    _check_keys(from_file, set(TABLES), "[columns]", where)
    merged = {}
    for table in TABLES:
        section = {**from_file.get(table, {}), **from_cli.get(table, {})}
        _check_keys(section, set(COLUMNS[table]), f"[columns.{table}]", where)
        merged[table] = section
    return merged


def _build(settings: dict[str, Any], tables: dict, columns: dict, where: str) -> Config:
    _check_keys(tables, set(TABLES), "[tables]", where)
    for name, value in [*tables.items(), *((f"{t}.{c}", v) for t in columns for c, v in columns[t].items())]:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"mapping for {name!r} in {where} must be a non-empty string")
    kwargs: dict[str, Any] = {}
    if "source" in settings:
        kwargs["source"] = str(settings["source"])
    if "out" in settings:
        kwargs["out"] = Path(settings["out"])
    if "notes" in settings:
        kwargs["notes"] = Path(settings["notes"])
        if not kwargs["notes"].is_file():
            raise ConfigError(f"notes file not found: {kwargs['notes']}")
    if "title" in settings:
        kwargs["title"] = str(settings["title"])
    if "prices" in settings:
        kwargs["prices"] = Path(settings["prices"])
        if not kwargs["prices"].is_file():
            raise ConfigError(f"price table not found: {kwargs['prices']}")
    if "token_convention" in settings:
        if settings["token_convention"] not in TOKEN_CONVENTIONS:
            raise ConfigError(f"token_convention must be one of {', '.join(TOKEN_CONVENTIONS)}, "
                              f"got {settings['token_convention']!r}")
        kwargs["token_convention"] = settings["token_convention"]
    if "source_timeout" in settings:
        value = settings["source_timeout"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 86400:
            raise ConfigError(f"source_timeout must be a number of seconds from 0 to 86400, got {value!r}")
        kwargs["source_timeout"] = float(value)
    if "max_rejected_ratio" in settings:
        try:
            ratio = float(settings["max_rejected_ratio"])
        except (TypeError, ValueError):
            ratio = -1.0
        if not 0 <= ratio <= 1:
            given = settings["max_rejected_ratio"]
            raise ConfigError(f"max_rejected_ratio must be a number from 0 to 1, got {given!r}")
        kwargs["max_rejected_ratio"] = ratio
    for key in ("base_url", "email_from", "smtp_host", "smtp_user", "since", "until"):
        if key in settings:
            kwargs[key] = str(settings[key])
    if "htpasswd" in settings:
        kwargs["htpasswd"] = Path(settings["htpasswd"])
    if "email_to" in settings:
        value = settings["email_to"]
        kwargs["email_to"] = tuple([value] if isinstance(value, str) else [str(v) for v in value])
    if "smtp_port" in settings:
        kwargs["smtp_port"] = _positive_int(settings["smtp_port"], "smtp_port", 1, 65535)
    if "smtp_starttls" in settings:
        if not isinstance(settings["smtp_starttls"], bool):
            raise ConfigError(f"smtp_starttls must be true or false, got {settings['smtp_starttls']!r}")
        kwargs["smtp_starttls"] = settings["smtp_starttls"]
    if "page_size" in settings:
        kwargs["page_size"] = _positive_int(settings["page_size"], "page_size", 1, 100_000)
    if "keep" in settings:
        kwargs["keep"] = _positive_int(settings["keep"], "keep", 1, 100_000)
    if "price_tolerance" in settings:
        kwargs["price_tolerance"] = _tolerance(settings["price_tolerance"])
    if "timezone" in settings:
        kwargs["timezone"] = _timezone(settings["timezone"])
    kwargs["tables"] = MappingProxyType({t: tables.get(t, t) for t in TABLES})
    kwargs["columns"] = MappingProxyType({
        t: MappingProxyType({c: columns[t].get(c, c) for c in COLUMNS[t]}) for t in TABLES
    })
    return Config(**kwargs)


def _positive_int(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not low <= number <= high or str(number) != str(value).strip():
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return number


def _tolerance(value: Any) -> Decimal:
    try:
        # str() first so a TOML float like 0.000001 is taken as written, not as its binary value
        tolerance = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"price_tolerance must be a number of USD, got {value!r}") from None
    if not tolerance.is_finite() or tolerance < 0:
        raise ConfigError(f"price_tolerance must be a non-negative number of USD, got {value!r}")
    return tolerance


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown timezone {value!r} (use an IANA name such as Europe/Paris)") from None
    return str(value)


def mapping_options(table_maps: tuple[str, ...], column_maps: tuple[str, ...]) -> dict[str, Any]:
    """`--table usage=NAME` and `--column usage.user_id=NAME` options, shaped like the TOML
    sections [tables] and [columns.<table>], for load_config's overrides."""
    tables: dict[str, str] = {}
    for item in table_maps:
        key, name = _split_mapping(item, "--table")
        tables[key] = name
    columns: dict[str, dict[str, str]] = {t: {} for t in TABLES}
    for item in column_maps:
        key, name = _split_mapping(item, "--column")
        table, _, column = key.partition(".")
        if table not in TABLES or not column:
            raise ConfigError(f"--column {item!r}: expected TABLE.COLUMN=NAME with TABLE one of {', '.join(TABLES)}")
        columns[table][column] = name
    return {"tables": tables, "columns": columns}


def _split_mapping(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key or not value:
        raise ConfigError(f"{option} {item!r}: expected KEY=NAME")
    return key.strip(), value.strip()
