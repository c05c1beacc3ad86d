"""products.csv as sellers write it: units and category names in their usual spellings, one row per SKU.

The file is the seller's own, typed by hand or exported from a spreadsheet, so the same thing comes in many
spellings: `inches` and `in`, `Pounds` and `lbs`, `Home & Kitchen` and `Home and Kitchen`, Amazon's former
category names. An accepted spelling is read as its canonical form, so that the detectors (and the rate cards)
only ever see `in`/`cm` and `lb`/`oz`/`g`/`kg` and the fee schedule's own category names. Millimetres become
centimetres by moving the decimal point of the number as written, not by a float division, so nothing is lost.

What cannot be read is never dropped silently: an unknown unit, or dimensions given in part, is a warning naming
the line and column, and that row's dimensions (or weight) are not used; an unknown category is a warning naming
the closest known names, and the detectors then fall back on the Fee Preview product group.

A SKU listed on several lines is read as one row: identical lines are one row and the repeats count as
duplicates; where lines disagree, the values they disagree on are not used (a warning names both lines) and the
values they agree on still are (same dimensions, different unit cost: the dimensions are used).
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from fba_audit import ratecards
from fba_audit.reports.model import Problem

# Canonical unit -> the spellings read as it (compared without case, spaces or a final dot). The canonical forms
# are the units `fba_audit.ratecards` converts; Fee Preview files spell them out (`inches`, `pounds`).
DIMENSION_UNITS: dict[str, tuple[str, ...]] = {
    "in": ("in", "inch", "inches"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
}
WEIGHT_UNITS: dict[str, tuple[str, ...]] = {
    "lb": ("lb", "lbs", "pound", "pounds"),
    "oz": ("oz", "ounce", "ounces"),
    "g": ("g", "gram", "grams", "gramme", "grammes"),
    "kg": ("kg", "kgs", "kilogram", "kilograms", "kilo", "kilos"),
}
# Read as another unit with the number rescaled exactly: (unit, power of ten the number is multiplied by).
_RESCALED = {"mm": ("cm", -1)}

# Columns that only mean something together: one missing or contradicted makes the others unusable too.
DIMENSIONS = ("length", "width", "height", "dimension_unit")
WEIGHT = ("weight", "weight_unit")
COST = ("unit_cost", "currency")
_HINT = "Correct the value in your products.csv."


def _spellings(units: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {spelling: unit for unit, spellings in units.items() for spelling in spellings}


def _accepted(units: dict[str, tuple[str, ...]]) -> str:
    return ", ".join(spelling for spellings in units.values() for spelling in spellings)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _fold_unit(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.to_lowercase().str.strip_chars_end(".").str.strip_chars()


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def tidy(frame: pl.DataFrame, headers: dict[str, str], file: str) -> tuple[pl.DataFrame, list[Problem]]:
    """`frame` (one products.csv, typed, text columns as String) with units and categories in their canonical
    spelling, and the warnings about what could not be read."""
    problems: list[Problem] = []
    for group, units in ((DIMENSIONS, DIMENSION_UNITS), (WEIGHT, WEIGHT_UNITS)):
        if all(c in frame.columns for c in group):
            frame = _units(frame, group, units, headers, file, problems)
    if "referral_category" in frame.columns:
        frame = _categories(frame, headers, file, problems)
    return frame, problems


def _units(frame: pl.DataFrame, group: tuple[str, ...], units: dict[str, tuple[str, ...]], headers: dict[str, str],
           file: str, problems: list[Problem]) -> pl.DataFrame:
    *numbers, unit = group
    header = headers.get(unit, unit)
    canonical = _fold_unit(unit).replace_strict(_spellings(units), default=None, return_dtype=pl.String)
    unknown = pl.col(unit).is_not_null() & canonical.is_null()
    for value, rows, first in _first_of_each(frame, unknown, unit):
        problems.append(Problem(
            file, first, header, value,
            f'column {header} has "{value}" on {_rows(rows)} (first here), not a unit fba-audit reads (accepted: '
            f"{_accepted(units)}); the rows were kept, but their {_listed(numbers)} "
            f"{'were' if len(numbers) > 1 else 'was'} not used.",
            "Correct the unit in your products.csv.", severity="warning",
        ))
    given = [pl.col(c).is_not_null() for c in group]
    partial = pl.any_horizontal(given) & ~pl.all_horizontal(given) & ~unknown
    missing = frame.filter(partial)
    if missing.height:
        first = missing.sort("source_line").row(0, named=True)
        absent = [headers.get(c, c) for c in group if first[c] is None]
        problems.append(Problem(
            file, first["source_line"], absent[0], None,
            f"{_rows(missing.height)} (first here) {'give' if missing.height != 1 else 'gives'} only part of {', '.join(headers.get(c, c) for c in group)} "
            f"(here {', '.join(absent)} {'is' if len(absent) == 1 else 'are'} empty); the rows were kept, but those "
            "values were not used.", f"Fill in all of {', '.join(headers.get(c, c) for c in group)}, or none.",
            severity="warning",
        ))
    unusable = unknown | partial
    frame = frame.with_columns(
        [pl.when(unusable).then(None).otherwise(pl.col(c)).alias(c) for c in numbers]
        + [pl.when(unusable).then(None).otherwise(canonical).alias(unit)]
    )
    for source, (target, power) in _RESCALED.items():
        if source in units and frame.select((pl.col(unit) == source).any()).item():
            frame = _rescaled(frame, numbers, unit, source, target, power)
    return frame


def _rescaled(frame: pl.DataFrame, numbers: list[str], unit: str, source: str, target: str,
              power: int) -> pl.DataFrame:
    """Rows in `source` units as `target` units: each number's decimal digits shifted by `power` (254 mm is
    25.4 cm exactly; a float division by 10 could give 25.400000000000002)."""
    scaled = pl.col(unit) == source

    def shift(value: float | None) -> float | None:
        return None if value is None else float(Decimal(repr(value)).scaleb(power))

    shifted = {c: pl.Series(c, [shift(v) for v in frame[c]], dtype=pl.Float64) for c in numbers}
    return frame.with_columns(
        [pl.when(scaled).then(shifted[c]).otherwise(pl.col(c)).alias(c) for c in numbers]
        + [pl.when(scaled).then(pl.lit(target)).otherwise(pl.col(unit)).alias(unit)]
    )


def _categories(frame: pl.DataFrame, headers: dict[str, str], file: str, problems: list[Problem]) -> pl.DataFrame:
    header = headers.get("referral_category", "referral_category")
    written = frame.get_column("referral_category").drop_nulls().unique().sort().to_list()
    named = {text: ratecards.written_category(text) for text in written}
    unknown = pl.col("referral_category").is_in([t for t, n in named.items() if not n.known])
    for value, rows, first in _first_of_each(frame, unknown, "referral_category"):
        closest = named[value].closest
        problems.append(Problem(
            file, first, header, value,
            f'column {header} has "{value}" on {_rows(rows)} (first here), not a referral fee category fba-audit '
            + (f"knows (closest: {', '.join(closest)})" if closest else "knows")
            + "; the rows were kept, and their referral fee is judged from the Fee Preview product group, if any.",
            "Write the category as Amazon's referral fee schedule names it (docs/rate-cards.md lists the names).",
            severity="warning",
        ))
    return frame.with_columns(referral_category=pl.col("referral_category").replace_strict(
        {text: n.category for text, n in named.items()}, default=None, return_dtype=pl.String))


def _first_of_each(frame: pl.DataFrame, rows: pl.Expr, column: str) -> list[tuple[str, int, int]]:
    """(value, rows, first line) of each distinct value of `column` on the `rows`, by first line."""
    return list(frame.filter(rows).group_by(column).agg(
        pl.len().alias("rows"), pl.col("source_line").min().alias("first")).sort("first").iter_rows())


# ---------------------------------------------------------------------------------------------- one row per SKU

def one_row_per_sku(frame: pl.DataFrame, headers: dict[str, str],
                    file: str) -> tuple[pl.DataFrame, int, list[Problem]]:
    """(`frame` with one row per SKU, the lines read into another line's row, the notes about them).

    The row of a SKU is its first line's, holding every group of columns (`DIMENSIONS`, `WEIGHT`, `COST`, each
    other column alone) the SKU's lines give without contradiction; a group they give differently is left empty."""
    repeated = frame.filter(pl.col("sku").is_duplicated())
    if repeated.is_empty():
        return frame, 0, []
    columns = [c for c in frame.columns if c not in ("sku", "source_file", "source_line")]
    groups = [g for g in (COST, DIMENSIONS, WEIGHT) if all(c in columns for c in g)]
    grouped = {c for g in groups for c in g}
    groups += [(c,) for c in columns if c not in grouped]
    merged, problems = [], []
    by_sku: dict[str, list[dict]] = {}
    for row in repeated.sort("source_line").iter_rows(named=True):
        by_sku.setdefault(row["sku"], []).append(row)
    for sku, rows in sorted(by_sku.items(), key=lambda item: item[1][0]["source_line"]):
        row, conflicts = dict(rows[0]), []
        for group in groups:
            given = {}
            for r in rows:
                values = tuple(r[c] for c in group)
                if any(v is not None for v in values):
                    given.setdefault(values, []).append(r["source_line"])
            if len(given) == 1:
                row.update(zip(group, next(iter(given))))
            elif len(given) > 1:
                row.update(dict.fromkeys(group))
                conflicts.append((group, given))
        merged.append(row)
        problems.append(_repeat_note(sku, rows, conflicts, columns, headers, file))
    kept = frame.filter(~pl.col("sku").is_duplicated())
    rebuilt = pl.DataFrame(merged, schema=frame.schema, orient="row")
    return pl.concat([kept, rebuilt]).sort("source_line"), repeated.height - len(merged), problems


def _repeat_note(sku: str, rows: list[dict], conflicts: list, columns: list[str], headers: dict[str, str],
                 file: str) -> Problem:
    lines = [r["source_line"] for r in rows]
    listed = ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
    later = lines[1:]
    counted = (f"line{'s' if len(later) > 1 else ''} {', '.join(map(str, later))} "
               f"{'were' if len(later) > 1 else 'was'} counted as duplicate{'s' if len(later) > 1 else ''}")
    if not conflicts:
        same = all(tuple(r[c] for c in columns) == tuple(rows[0][c] for c in columns) for r in rows)
        how = "with the same values" if same else "without contradicting each other"
        return Problem(file, lines[1], headers.get("sku", "sku"), sku,
                       f"SKU {sku} is listed on lines {listed} {how}; read as one row ({counted}).",
                       "Keep one row per SKU in your products.csv.", severity="info")
    told = []
    for group, given in conflicts:
        names = ", ".join(headers.get(c, c) for c in group)
        versions = "; ".join(f"line {', '.join(map(str, at))}: {_shown(values)}" for values, at in given.items())
        told.append(f"{names} ({versions})")
    return Problem(
        file, lines[1], headers.get(conflicts[0][0][0], conflicts[0][0][0]), sku,
        f"SKU {sku} is listed on lines {listed} with different {'; and different '.join(told)}: those values are "
        f"not used, the values the lines agree on are ({counted}).",
        "Keep one row per SKU in your products.csv.", severity="warning",
    )


def _shown(values: tuple) -> str:
    return " ".join("-" if v is None else f"{v:g}" if isinstance(v, float) else str(v) for v in values)
