"""Which marketplace a folder of reports is from, read from the reports themselves.

Claim windows, rate cards, currencies and finding ids all depend on the marketplace, and a wrong one is not a
small error: genuine Amazon.ca settlements audited as US gave "no findings" (every CAD line was another
currency's money), and US reports audited as UK gave eight false claims (issue 22 item 8). So the marketplace is
read from the files, and an option that contradicts them is an input error, never a silent re-labelling.

What the files say, per report (docs/report-formats.md; sources there):
- settlement flat files V1 and V2: `marketplace-name` on order lines (`Amazon.com`, `Amazon.ca`; `Non-Amazon CA`
  on Multi-Channel Fulfillment lines of the genuine Amazon.ca V1 files) and the settlement's `currency`;
- Date Range transaction reports: `marketplace` (`amazon.com`, `Amazon.de`, ...);
- Fee Preview (2025+ US downloads): `amazon-store` (`US`, `CA`: one file can hold both stores of the unified
  North American account) and `currency`;
- All Orders: `sales-channel` (`Amazon.com`; `Non-Amazon` for MCF orders says nothing) and `currency`;
- Reimbursements: `currency-unit`.
A currency alone names a marketplace only where one marketplace uses it (EUR does not: DE, FR, IT, ES, ...).

The rule:
- `auto` (the default): each marketplace that a file names by itself (one marketplace per file), or that a
  settlement, Date Range or All Orders file has rows of (`ACTIVITY_KINDS`). None named at all: US, and the run
  says so. One: the run audits it, as it always did. Several (a UK, a DE and a US
  settlement in one folder, issue 24): the run audits each one side by side, every file in the part of its own
  marketplace (`placement`), so that no money of one marketplace enters another's audit.
- an explicit code: an input error when no file agrees with it; files of other marketplaces beside files of
  this one are left out (each with its reason), so no other marketplace's money enters this run.

Placing the files of a folder of several marketplaces (`placement`):
- a file that names one marketplace is in its part;
- a file that names several (a North American Fee Preview with `amazon-store` US and CA rows; a settlement with
  lines of several stores) gives each row to the marketplace the row names (its store, or a currency that only
  one of the run's marketplaces uses); a row that names none is left out, counted, with its reason;
- a file that names none (Inventory Ledger, returns, inbound shipments) is in the part of the files beside it in
  its folder when those all name one marketplace, so reports kept in a folder per marketplace (`UK/`, `DE/`) are
  placed; otherwise it is left out with its reason, since it cannot be told apart;
- products.csv, the seller's own file, is read with every part (its costs are per SKU, in their own currency).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import polars as pl

from fba_audit.context import MARKETPLACE_CURRENCY

AUTO = "auto"
DEFAULT = "US"

# Amazon's marketplace domains (the `marketplace-name` / `sales-channel` / Date Range `marketplace` values).
DOMAINS = {
    "amazon.com": "US", "amazon.ca": "CA", "amazon.com.mx": "MX", "amazon.com.br": "BR", "amazon.co.uk": "UK",
    "amazon.de": "DE", "amazon.fr": "FR", "amazon.it": "IT", "amazon.es": "ES", "amazon.nl": "NL",
    "amazon.com.be": "BE", "amazon.ie": "IE", "amazon.se": "SE", "amazon.pl": "PL", "amazon.com.tr": "TR",
    "amazon.co.jp": "JP", "amazon.in": "IN", "amazon.com.au": "AU", "amazon.sg": "SG", "amazon.ae": "AE",
    "amazon.sa": "SA",
}
# `amazon-store` writes the country code; Amazon's own code for the United Kingdom is GB.
_STORE_CODES = {"GB": "UK"}
_NON_AMAZON = re.compile(r"^non-amazon\s+([a-z]{2})$")

# The columns that say a marketplace, and those that say a currency (dataset column names).
NAME_COLUMNS = ("marketplace_name", "amazon_store", "sales_channel")
CURRENCY_COLUMNS = ("currency",)


def marketplace_code(value: str, column: str) -> str | None:
    """The marketplace code a value of `column` names, or None (an unknown or uninformative value)."""
    text = value.strip()
    if column == "amazon_store":
        code = _STORE_CODES.get(text.upper(), text.upper())
        if code in MARKETPLACE_CURRENCY:
            return code
    folded = text.casefold()
    if folded.startswith("www."):
        folded = folded[4:]
    if folded in DOMAINS:
        return DOMAINS[folded]
    found = _NON_AMAZON.match(folded)
    if found:
        code = _STORE_CODES.get(found.group(1).upper(), found.group(1).upper())
        return code if code in MARKETPLACE_CURRENCY else None
    return None


def _only_user(currency: str) -> str | None:
    users = [m for m, c in MARKETPLACE_CURRENCY.items() if c == currency]
    return users[0] if len(users) == 1 else None


Signs = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def file_signs(frame: pl.DataFrame, headers: dict[str, str]) -> Signs:
    """(marketplace codes, currencies, what the file says in its own words) of one file's typed rows."""
    codes: set[str] = set()
    currencies: set[str] = set()
    said: list[str] = []
    for column in (*NAME_COLUMNS, *CURRENCY_COLUMNS):
        if column not in frame.columns or frame[column].dtype == pl.Null:
            continue
        values = sorted(frame.get_column(column).drop_nulls().cast(pl.String).unique().to_list())
        named = []
        for value in values:
            if column in CURRENCY_COLUMNS:
                if value.upper() in MARKETPLACE_CURRENCY.values():
                    currencies.add(value.upper())
                    named.append(value)
            elif (code := marketplace_code(value, column)) is not None:
                codes.add(code)
                named.append(value)
        if named:
            said.append(f"{headers.get(column, column)} {', '.join(named[:4])}")
    return tuple(sorted(codes)), tuple(sorted(currencies)), tuple(said)


# Reports whose rows are sales and money: a store they have rows of is audited, even when no file names it alone
# (a Pan-European EUR settlement with Amazon.de and Amazon.fr lines). A Fee Preview lists a SKU in every store of
# the account (a North American one: US and CA) whether or not it sells there, so it starts no audit of its own.
ACTIVITY_KINDS = frozenset({"settlement_v1", "settlement_v2", "date_range", "all_orders"})


@dataclass(frozen=True)
class FileSigns:
    file: str
    marketplaces: tuple[str, ...]
    currencies: tuple[str, ...]
    said: tuple[str, ...]
    kind: str = ""  # the ReportKind key

    def names(self) -> tuple[str, ...]:
        """The marketplaces this file alone points to (by name, or by a currency only one marketplace uses)."""
        if self.marketplaces:
            return self.marketplaces
        return tuple(sorted({m for c in self.currencies if (m := _only_user(c)) is not None}))

    def agrees_with(self, code: str) -> bool:
        return ((not self.marketplaces or code in self.marketplaces)
                and (not self.currencies or MARKETPLACE_CURRENCY[code] in self.currencies))

    def describe(self) -> str:
        return f"{self.file} ({'; '.join(self.said)})"


@dataclass(frozen=True)
class MarketplaceDecision:
    """The marketplace of the run, or why there is none (`error`, an input error). `left_out`: file -> reason.

    A run over several marketplaces has `code` None and `codes` the marketplaces audited side by side, with
    `placed` (file -> its marketplace) and `split` (the files whose rows are placed one by one): see `placement`."""

    code: str | None
    error: str | None = None
    note: str = ""
    left_out: dict[str, str] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
    placed: dict[str, str] = field(default_factory=dict)
    split: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.code is not None and not self.codes:
            object.__setattr__(self, "codes", (self.code,))

    @property
    def several(self) -> bool:
        return len(self.codes) > 1


def _listed(files: Iterable[FileSigns], limit: int = 3) -> str:
    files = list(files)
    shown = ", ".join(f.describe() for f in files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")


def decide(requested: str, signs: list[FileSigns]) -> MarketplaceDecision:
    """The marketplace of a run over files with these signs (see the module docstring for the rule)."""
    signed = [s for s in signs if s.marketplaces or s.currencies]
    named: dict[str, list[FileSigns]] = {}
    for sign in signed:
        for code in sign.names():
            named.setdefault(code, []).append(sign)
    explicit = requested.strip().upper() if requested.strip().lower() != AUTO else None
    if explicit is None:
        if not signed:
            return MarketplaceDecision(DEFAULT, note=f"No report says which marketplace it is from: audited as "
                                                     f"{DEFAULT}, the default. If your reports are from another "
                                                     "marketplace, pass --marketplace.")
        single = sorted({s.names()[0] for s in signed if len(s.names()) == 1})
        if len(single) == 1 and all(s.agrees_with(single[0]) for s in signed):
            code = single[0]
            return MarketplaceDecision(code, note=f"Marketplace {code}, as the reports say: "
                                                  f"{_listed(named[code], 2)}.")
        found = sorted(set(single) | {c for s in signed if s.kind in ACTIVITY_KINDS for c in s.marketplaces})
        if single or len(found) > 1:
            # Several marketplaces, or one with files of another beside it: each file in the part of its own.
            return placement(tuple(found), signs)
        return MarketplaceDecision(None, error=(
            f"The reports do not say which one marketplace they are from ({_listed(signed)}): pass --marketplace, "
            f"one of {', '.join(sorted(MARKETPLACE_CURRENCY))}."))
    code = explicit
    if code not in MARKETPLACE_CURRENCY:
        return MarketplaceDecision(None, error=f"unknown marketplace {requested!r}; use auto or one of "
                                               f"{', '.join(sorted(MARKETPLACE_CURRENCY))}")
    agree = [s for s in signed if s.agrees_with(code)]
    disagree = [s for s in signed if not s.agrees_with(code)]
    if disagree and not agree:
        found = sorted(named) or sorted({c for s in disagree for c in s.currencies})
        return MarketplaceDecision(None, error=(
            f"--marketplace {code} contradicts the reports, which are from {', '.join(found)}: "
            f"{_listed(disagree)}. Leave --marketplace out (auto) to audit them as what they are, or pass the "
            "folder of your " + code + " reports."))
    left_out = {s.file: (f"is not a {code} report ({'; '.join(s.said)}), and this run audits {code} "
                         f"(--marketplace {code}): not audited.") for s in disagree}
    note = f"Marketplace {code} (--marketplace {code})"
    if left_out:
        note += f"; {len(left_out)} file{'s' if len(left_out) != 1 else ''} of other marketplaces left out"
    return MarketplaceDecision(code, note=note + ".", left_out=left_out)


def placement(codes: tuple[str, ...], signs: list[FileSigns]) -> MarketplaceDecision:
    """A run over the marketplaces `codes`, each file placed in the part of its own (module docstring)."""
    placed: dict[str, str] = {}
    split: list[str] = []
    unsigned: list[FileSigns] = []
    for sign in signs:
        names = [code for code in sign.names() if code in codes]
        if len(sign.names()) == 1 and names:
            placed[sign.file] = names[0]
        elif len(names) > 1 or (sign.marketplaces and names):
            split.append(sign.file)
        else:
            unsigned.append(sign)
    by_folder: dict[PurePosixPath, set[str]] = {}
    for file, code in placed.items():
        by_folder.setdefault(PurePosixPath(file).parent, set()).add(code)
    left_out: dict[str, str] = {}
    listed = ", ".join(codes)
    for sign in unsigned:
        beside = by_folder.get(PurePosixPath(sign.file).parent, set())
        if len(codes) == 1:
            beside = set(codes)  # one marketplace: every file that agrees with it is its
        if len(beside) == 1 and sign.agrees_with(next(iter(beside))):
            placed[sign.file] = next(iter(beside))
            continue
        what = f"is from {', '.join(sign.names())}, " if sign.names() else ""
        says = f" ({'; '.join(sign.said)})" if sign.said else ""
        left_out[sign.file] = (
            f"{what}does not say which of this folder's marketplaces ({listed}) it is from{says}: not audited."
            if not what else f"{what}which is not one of this folder's marketplaces ({listed}): not audited.")
    if len(codes) == 1:
        (code,) = codes
        note = f"Marketplace {code}, as the reports say"
        if left_out:
            note += f"; {len(left_out)} file{'s' if len(left_out) != 1 else ''} of other marketplaces left out"
        return MarketplaceDecision(code, note=note + ".", left_out=left_out)
    counts = ", ".join(f"{code} ({sum(1 for c in placed.values() if c == code)} "
                       f"file{'s' if sum(1 for c in placed.values() if c == code) != 1 else ''})" for code in codes)
    note = f"Marketplaces {listed}, as the reports say, audited side by side: {counts}"
    if split:
        note += f"; {len(split)} file{'s' if len(split) != 1 else ''} with rows of several, each row in its own"
    if left_out:
        note += f"; {len(left_out)} file{'s' if len(left_out) != 1 else ''} left out"
    return MarketplaceDecision(None, note=note + ".", left_out=left_out, codes=codes, placed=placed,
                               split=tuple(sorted(split)))


LEFT_OUT_HINT = ("Put each marketplace's reports in a folder of its own (for example reports/UK/ and reports/DE/), "
                 "or audit one marketplace at a time with --marketplace.")


def row_marketplace(frame: pl.DataFrame, codes: tuple[str, ...]) -> pl.Expr:
    """The marketplace each row of `frame` names (among `codes`): its store or marketplace column, else a currency
    only one of `codes` uses; null where the row names none of them."""
    named = []
    for column in NAME_COLUMNS:
        if column not in frame.columns or frame[column].dtype == pl.Null:
            continue
        values = frame.get_column(column).cast(pl.String).drop_nulls().unique().to_list()
        mapping = {value: code for value in values if (code := marketplace_code(value, column)) in codes}
        named.append(pl.col(column).cast(pl.String).replace_strict(mapping, default=None, return_dtype=pl.String))
    if "currency" in frame.columns and frame["currency"].dtype != pl.Null:
        users: dict[str, list[str]] = {}
        for code in codes:
            users.setdefault(MARKETPLACE_CURRENCY[code], []).append(code)
        only = {currency: found[0] for currency, found in users.items() if len(found) == 1}
        named.append(pl.col("currency").cast(pl.String).str.to_uppercase().replace_strict(
            only, default=None, return_dtype=pl.String))
    return pl.coalesce(named) if named else pl.lit(None, pl.String)
