"""Turn a report's text columns into typed columns, and find every value that does not parse.

Everything here is a polars expression: no Python loop ever touches a row. A value that does not parse is
never guessed at: the row is rejected and reported with its line, column and value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from fba_audit.reports.datasets import MONEY, UTC_DATETIME
from fba_audit.reports.kinds import DATE, FLOAT, INT, LOCAL_TIMESTAMP, MONEY as MONEY_TYPE, STR, TIMESTAMP, Col

# Amazon writes "--" for not applicable (Fee Preview); empty and N/A mean the same.
NULL_TOKENS = ("", "--", "N/A", "n/a")

_INT = r"^[+-]?\d+$"
_AMOUNT = r"^[+-]?\d+(\.\d{1,2})?$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"
# The same, with thousands grouped by commas where a number has them ("-1,052.64": Date Range files with decimal
# points). "12,99" does not match: a comma that does not group thousands is rejected, not taken for a decimal mark.
_GROUPED = r"(\d{1,3}(,\d{3})+|\d+)"
_INT_GROUPED = rf"^[+-]?{_GROUPED}$"
_AMOUNT_GROUPED = rf"^[+-]?{_GROUPED}(\.\d{{1,2}})?$"
_NUMBER_GROUPED = rf"^[+-]?({_GROUPED}\.?\d*|\.\d+)$"

# ISO 8601 with an offset (2026-05-12T09:59:13+00:00, ledger 2026-05-13T00:00:00-0700) and the V2 settlement
# form (2026-03-13 20:21:38 UTC; EU files reportedly 13.03.2026 20:21:38 UTC).
_AWARE_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z")
_UTC_FORMATS = ("%Y-%m-%d %H:%M:%S UTC", "%d.%m.%Y %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S")
# The printed date at the start of a timestamp; the FBA returns help page says DD-MM-YYYY.
_DATE_PART_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y")

# Date Range reports print local time with a zone abbreviation: "Jan 5, 2026 1:23:45 PM PST" (US),
# "a.m."/"p.m." in Canada, "05.01.2026 13:23:45 GMT+01:00"-like forms elsewhere. Offsets in hours.
ZONE_OFFSETS = {
    "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4, "AKST": -9,
    "AKDT": -8, "HST": -10, "UTC": 0, "GMT": 0, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2,
    "JST": 9, "IST": 5.5, "AEST": 10, "AEDT": 11,
}
_LOCAL_FORMATS = (
    "%b %d, %Y %I:%M:%S %p",  # Jan 5, 2026 1:23:45 PM (US, CA after a.m./p.m. folding)
    "%d %b %Y %H:%M:%S",  # 5 Jan 2026 13:23:45 (UK)
    "%d.%m.%Y %H:%M:%S",  # DE
    "%d/%m/%Y %H:%M:%S",  # FR, IT, ES
    "%Y/%m/%d %H:%M:%S",  # JP
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
)


def clean(columns: Mapping[str, str]) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Trimmed text with Amazon's null spellings as null, for `columns` (output name -> text column): select the
    first expressions, then add the second with `with_columns`. In one expression polars trimmed every value
    twice, for the test and for the result: a third of a settlement file's typed pass (measured, 15,000 SKUs)."""
    trimmed = [pl.col(source).str.strip_chars().alias(name) for name, source in columns.items()]
    nulls = [pl.when(pl.col(name).is_in(NULL_TOKENS)).then(None).otherwise(pl.col(name)).alias(name)
             for name in columns]
    return trimmed, nulls


# A number whose one separator is followed by exactly three digits reads two ways: "1,234" is 1234 where commas
# group thousands and 1.234 where the comma is the decimal mark, and "1.234" the other way round. Amazon writes both
# marks in one EU settlement file ("5,05 and 5.05 in one report": abuzuhri/Amazon-SP-API-CSharp PR #706, 2024-01-26),
# so the marks the rest of a file uses do not settle such a value: it is an input problem, never a guess.
AMBIGUOUS = r"^[+-]?\d{1,3}[.,]\d{3}$"
# In a file whose decimal mark is the point, "2.005" is three decimals (not an amount), and only a comma misleads.
AMBIGUOUS_COMMA = r"^[+-]?\d{1,3},\d{3}$"
_COMMA_DECIMAL_GROUPED = r"^[+-]?\d{1,3}(\.\d{3})+,\d+$|^[+-]?\d{1,3}(\.\d{3}){2,}$"  # 1.234,56 and 1.234.567
_POINT_DECIMAL_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+\.\d+$|^[+-]?\d{1,3}(,\d{3}){2,}$"  # 1,234.56 and 1,234,567


def _number_text(raw: pl.Expr, thousands: bool, spaces: bool = False) -> pl.Expr:
    """The text of a number read with either decimal mark, as polars casts it; null where the mark is ambiguous.

    For the kinds Amazon writes in the seller's locale (settlement V2, Date Range): each value is read by its own
    marks, since one file can hold both. A comma or point followed by one or two digits is the decimal mark
    (12,34 is 12.34, never 1234); with both marks the last is the decimal mark and the other must group thousands
    by threes (1.234,56 and 1,234.56 are 1234.56). `thousands` (a file whose decimal mark is the point, in a kind
    that groups thousands: US, UK, CA, MX, JP Date Range files) reads "1,234" as 1234, as those files group
    thousands with commas and have no decimal commas to confuse it with. `spaces`: EU Date Range files may group
    thousands with (no-break) spaces, 1 234,56; a space that does not group by threes is not taken out."""
    text = raw
    if spaces:
        spaced = text.str.contains(r"^[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?$")
        text = pl.when(spaced).then(text.str.replace_all(r"[ \u00a0\u202f]", "")).otherwise(text)
    point_grouped = text.str.contains(_POINT_DECIMAL_GROUPED)
    if thousands:
        point_grouped = point_grouped | text.str.contains(r"^[+-]?\d{1,3},\d{3}$")
    return (
        pl.when(point_grouped).then(text.str.replace_all(",", "", literal=True))
        .when(text.str.contains(_COMMA_DECIMAL_GROUPED)).then(text.str.replace_all(".", "", literal=True))
        .when(text.str.contains(AMBIGUOUS)).then(None)
        .otherwise(text)
        .str.replace(",", ".", literal=True)
    )


def _parsed(raw: pl.Expr, dtype: pl.DataType, plain: str, grouped: str, decimal_comma: bool,
            thousands: bool, either_mark: bool = False) -> pl.Expr:
    """`raw` cast to `dtype` where its text matches the pattern of the file's number form, else null.

    `either_mark` (and any file that writes decimal commas) reads each value by its own marks (`_number_text`);
    otherwise the file's one form is checked with one regex, the fast path of the big US files."""
    if either_mark or decimal_comma:
        text = _number_text(raw, thousands and not decimal_comma, spaces=thousands)
        return pl.when(text.str.contains(plain)).then(text.cast(dtype, strict=False)).otherwise(None)
    if thousands:
        # One regex checks the number and its grouping, then the commas go: a third of the cost of finding the
        # grouped values first (Date Range files have sixteen amount columns). Amazon writes no spaces in these
        # numbers; a value with one is rejected.
        return pl.when(raw.str.contains(grouped)).then(
            raw.str.replace_all(",", "", literal=True).cast(dtype, strict=False)).otherwise(None)
    return pl.when(raw.str.contains(plain)).then(raw.cast(dtype, strict=False)).otherwise(None)


def uses_decimal_comma(table: pl.DataFrame, money_columns: list[str]) -> bool:
    """True when the file's amounts are written 1.234,56 (EU Date Range files) rather than 1,234.56."""
    if not money_columns:
        return False
    values = pl.concat([table.get_column(c).drop_nulls() for c in money_columns])
    comma = values.str.contains(r",\d{1,2}$").sum()
    point = values.str.contains(r"\.\d{1,2}$").sum()
    return comma > point


def parse_int(raw: pl.Expr, decimal_comma: bool = False, thousands: bool = False, either_mark: bool = False) -> pl.Expr:
    return _parsed(raw, pl.Int64, _INT, _INT_GROUPED, decimal_comma, thousands, either_mark)


def parse_money(raw: pl.Expr, decimal_comma: bool = False, thousands: bool = False,
                either_mark: bool = False) -> pl.Expr:
    # NOTE: a cast to Decimal rounds silently ("0.005" -> 0.00); the regex rejects more than two decimals.
    return _parsed(raw, MONEY, _AMOUNT, _AMOUNT_GROUPED, decimal_comma, thousands, either_mark)


def parse_float(raw: pl.Expr, decimal_comma: bool = False, thousands: bool = False,
                either_mark: bool = False) -> pl.Expr:
    return _parsed(raw, pl.Float64, _NUMBER, _NUMBER_GROUPED, decimal_comma, thousands, either_mark)


Parser = Callable[[pl.Expr], pl.Expr]


def _aware(fmt: str) -> Parser:
    return lambda raw: raw.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us")


def _naive_utc(fmt: str) -> Parser:
    return lambda raw: raw.str.to_datetime(fmt, strict=False, time_unit="us").dt.replace_time_zone("UTC")


def _date_as_utc(fmt: str) -> Parser:
    return lambda raw: raw.str.to_date(fmt, strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _date(fmt: str) -> Parser:
    return lambda raw: raw.str.to_date(fmt, strict=False)


def _leading_date(fmt: str) -> Parser:
    return lambda raw: raw.str.extract(r"^([^T\s]+)", 1).str.to_date(fmt, strict=False)


# The first parsers of TIMESTAMP_PARSERS read a time of day; the others a bare date.
_TIMED_PARSERS = len(_AWARE_FORMATS) + len(_UTC_FORMATS)
TIMESTAMP_PARSERS: tuple[Parser, ...] = (
    tuple(_aware(f) for f in _AWARE_FORMATS)
    + tuple(_naive_utc(f) for f in _UTC_FORMATS)
    + tuple(_date_as_utc(f) for f in _DATE_PART_FORMATS)
)
# ISO forms print the date in the first ten characters: slicing is much cheaper than a regex.
PRINTED_DATE_PARSERS: tuple[Parser, ...] = (
    lambda raw: raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
) + tuple(_leading_date(f) for f in _DATE_PART_FORMATS[1:])


def best_parser(parsers: tuple[Parser, ...], sample: pl.Series | None) -> Parser:
    """The parser that reads most of the sample (a file uses one form throughout, so one parse pass is enough).

    Trying every form on every row costs one full parse per form; on a 10 million row ledger that is seconds.
    When no sample value parses, all forms are tried (the rows that still fail are then reported).
    """
    if len(parsers) == 1:
        return parsers[0]
    values = sample.drop_nulls() if sample is not None else None
    if values is not None and len(values):
        scores = values.to_frame("v").select(
            [p(pl.col("v")).is_not_null().sum().alias(str(i)) for i, p in enumerate(parsers)]
        ).row(0)
        best = max(range(len(parsers)), key=lambda i: (scores[i], -i))
        if scores[best] > 0:
            return parsers[best]
    return lambda raw: pl.coalesce([p(raw) for p in parsers])


def parse_timestamp(raw: pl.Expr, sample: pl.Series | None = None) -> pl.Expr:
    return best_parser(TIMESTAMP_PARSERS, sample)(raw)


def printed_date(raw: pl.Expr, sample: pl.Series | None = None) -> pl.Expr:
    """The calendar date as Amazon printed it, before any time zone conversion."""
    return best_parser(PRINTED_DATE_PARSERS, sample)(raw)


_ZONE = r"\s([A-Z]{2,5}|GMT[+-]\d{1,2}(?::?\d{2})?|UTC[+-]\d{1,2}(?::?\d{2})?)$"
_MERIDIEM = r"(?i)[ap]\.\s?m\."


def _local_parts(raw: pl.Expr, fold: bool = True) -> tuple[pl.Expr, pl.Expr]:
    """(local date and time, zone) of a Date Range `date/time`; `fold` turns Canada's a.m./p.m. into AM/PM."""
    text = raw.str.replace_all(r"(?i)a\.\s?m\.", "AM").str.replace_all(r"(?i)p\.\s?m\.", "PM") if fold else raw
    zone = text.str.extract(_ZONE, 1)
    # The zone is cut off by length: a second regex over every value cost as much as the extract.
    body = text.str.slice(0, text.str.len_chars() - zone.str.len_chars().fill_null(-1) - 1)
    return body, zone


def parse_local_timestamp(raw: pl.Expr, sample: pl.Series | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(UTC datetime, local date) of a Date Range `date/time` value.

    As for other timestamps (`best_parser`), the first rows of the file pick its one date form, and whether it
    writes a.m./p.m.: trying all seven forms on every row took most of a Date Range file's load."""
    values = sample.drop_nulls() if sample is not None else None
    fold = values is None or values.is_empty() or bool(values.str.contains(_MERIDIEM).any())
    body, zone = _local_parts(raw, fold)
    parsers = tuple((lambda b, f=fmt: b.str.to_datetime(f, strict=False, time_unit="us")) for fmt in _LOCAL_FORMATS)
    sample_parts = None
    if values is not None and not values.is_empty():
        sample_body, sample_zone = _local_parts(pl.col("v"), fold)
        sample_parts = values.to_frame("v").select(sample_body.alias("body"), sample_zone.alias("zone"))
    local = best_parser(parsers, None if sample_parts is None else sample_parts["body"])(body)
    # A value without a zone is read as UTC; an unknown zone gives no UTC instant (the local date still counts).
    named = zone.fill_null("UTC").replace_strict(
        {k: int(v * 60) for k, v in ZONE_OFFSETS.items()}, default=None, return_dtype=pl.Int64
    )
    if sample_parts is None or sample_parts["zone"].str.contains(r"^(?:GMT|UTC)[+-]").any():
        numeric = zone.str.extract(r"^(?:GMT|UTC)([+-]\d{1,2})", 1).cast(pl.Int64, strict=False) * 60 + (
            zone.str.extract(r"^(?:GMT|UTC)[+-]\d{1,2}:?(\d{2})$", 1).cast(pl.Int64, strict=False).fill_null(0)
            * pl.when(zone.str.contains(r"^(?:GMT|UTC)-")).then(-1).otherwise(1)
        )
        minutes = pl.coalesce([named, numeric])
    else:  # the file names its zones (PST, PDT): each expression here reads the zone once more
        minutes = named
    return (local - pl.duration(minutes=minutes)).dt.replace_time_zone("UTC"), local.dt.date()


TYPED_PREFIX = "__typed_"
# Rows read to pick a file's date forms and decimal mark (a file uses one form throughout).
SAMPLE_ROWS = 2000


def typed_columns(
    columns: list[Col], decimal_comma: bool, sample: pl.DataFrame | None = None, thousands: bool = False,
    every_form: bool = False, localized: bool = False,
) -> tuple[list[pl.Expr], list[tuple[Col, pl.Expr]]]:
    """Expressions that type every column, and per column the mask of values that failed to parse.

    Input columns are the cleaned text under the column's own name. Outputs are named `TYPED_PREFIX + name`
    (a timestamp's printed date goes straight to its `date_name`), and the masks compare the text with those
    outputs: apply the outputs first, then the masks, then drop the text and strip the prefix. Parsing once
    per column and reading the result twice costs half of re-parsing inside the mask. `sample` (the first
    rows of the file) picks the one date form the file uses.

    `every_form` is the second chance of the rows that failed: every date form Amazon writes, and for a date
    column also a full timestamp (its printed date). A file does not always keep to one form: a genuine 2017 US
    settlement V2 file has one `posted-date` of `2017-03-02T18:16:34+00:00` among 2,600 of `2017-03-02`. In a
    `localized` kind (one Amazon writes in the seller's locale) it also reads each number by its own decimal mark:
    Amazon writes 5,05 and 5.05 in one German settlement file (`_number_text`).
    """
    either_mark = every_form and localized and not thousands
    outputs: list[pl.Expr] = []
    failures: list[tuple[Col, pl.Expr]] = []
    for column in columns:
        raw = pl.col(column.name)
        typed = TYPED_PREFIX + column.name
        values = sample.get_column(column.name) if sample is not None and column.name in sample.columns else None
        if column.type == STR:
            continue
        if column.type == INT:
            parsed = parse_int(raw, decimal_comma, thousands, either_mark)
        elif column.type == MONEY_TYPE:
            parsed = parse_money(raw, decimal_comma, thousands, either_mark)
        elif column.type == FLOAT:
            parsed = parse_float(raw, decimal_comma, thousands, either_mark)
        elif column.type == DATE:
            parsed = best_parser(tuple(_date(f) for f in column.formats), None if every_form else values)(raw)
            if every_form:
                # Only a value with a time of day: a bare date in another form stays rejected (13/05/2026 in a
                # MM/DD/YYYY ledger is not a date).
                stamped = pl.coalesce([p(raw) for p in TIMESTAMP_PARSERS[:_TIMED_PARSERS]])
                parsed = pl.coalesce([parsed, pl.when(stamped.is_not_null()).then(printed_date(raw))])
        elif column.type == TIMESTAMP:
            values = None if every_form else values
            parsed = parse_timestamp(raw, values)
            if column.date_name:
                outputs.append(printed_date(raw, values).alias(column.date_name))
        elif column.type == LOCAL_TIMESTAMP:
            parsed, local_date = parse_local_timestamp(raw, None if every_form else values)
            assert column.date_name, f"{column.name}: a local timestamp needs a date_name"
            # A known local time with an unknown zone still gives the date; only the UTC instant is lost.
            outputs.append(local_date.alias(column.date_name))
            failures.append((column, raw.is_not_null() & pl.col(column.date_name).is_null()))
            outputs.append(parsed.cast(UTC_DATETIME).alias(typed))
            continue
        else:  # pragma: no cover - kinds.py only uses the types above
            raise ValueError(f"unknown column type {column.type!r}")
        failures.append((column, raw.is_not_null() & pl.col(typed).is_null()))
        outputs.append(parsed.alias(typed))
    return outputs, failures


def finish_typing(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame | pl.DataFrame:
    """Replace each text column by its typed twin (see `typed_columns`)."""
    typed = [c for c in frame.collect_schema().names() if c.startswith(TYPED_PREFIX)]
    names = [c[len(TYPED_PREFIX):] for c in typed]
    return frame.drop([n for n in names if n in frame.collect_schema().names()]).rename(dict(zip(typed, names)))
