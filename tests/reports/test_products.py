"""products.csv as sellers write it (issue 18 items 3-5): units, category names, a SKU listed twice."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from loader_helpers import accounting

from fba_audit.detectors import columns_read
from fba_audit.reports import load_folder

HEADER = "sku,unit_cost,currency,length,width,height,dimension_unit,weight,weight_unit,referral_category"
SIZE = ("length", "width", "height", "dimension_unit", "weight", "weight_unit")


def load(tmp_path: Path, *rows: str, compact: bool = False):
    folder = tmp_path / "reports"
    folder.mkdir(exist_ok=True)
    (folder / "products.csv").write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return load_folder(folder, columns=columns_read() if compact else None)


def products(result) -> list[dict]:
    frame = result.datasets["products"].sort("source_line")
    return frame.select("source_line", "sku", "unit_cost", *SIZE, "referral_category").to_dicts()


def shown(result) -> list[str]:
    return [f"{p.severity}: {p}" for p in result.problems]


@pytest.mark.parametrize(("dimension_unit", "weight_unit", "read_as"), [
    ("in", "lb", ("in", "lb")),
    ("inch", "pound", ("in", "lb")),
    ("Inches", "Pounds", ("in", "lb")),
    ("in.", "lbs", ("in", "lb")),
    ("IN", "LBS.", ("in", "lb")),
    ("inches", "ounces", ("in", "oz")),
    ("cm", "g", ("cm", "g")),
    ("centimeters", "grams", ("cm", "g")),
    ("Centimetres", "kilograms", ("cm", "kg")),
    ("CM", "kg", ("cm", "kg")),
    ("cm", "oz", ("cm", "oz")),
])
def test_units_as_people_write_them(tmp_path, dimension_unit, weight_unit, read_as):
    result = load(tmp_path, f"SKU-1,1.00,USD,14,10,0.7,{dimension_unit},0.5,{weight_unit},")
    assert shown(result) == []
    (row,) = products(result)
    assert (row["length"], row["width"], row["height"], row["weight"]) == (14.0, 10.0, 0.7, 0.5)
    assert (row["dimension_unit"], row["weight_unit"]) == read_as


@pytest.mark.parametrize("spelling", ["mm", "millimeters", "Millimetres"])
def test_millimetres_are_centimetres_exactly(tmp_path, spelling):
    # 355.6 x 254 x 17.78 mm: the decimal point moves, no float division (17.78 / 10 is 1.7780000000000002).
    result = load(tmp_path, f"SKU-1,1.00,USD,355.6,254,17.78,{spelling},226,g,")
    assert shown(result) == []
    (row,) = products(result)
    assert (row["length"], row["width"], row["height"], row["dimension_unit"]) == (35.56, 25.4, 1.778, "cm")
    assert (row["weight"], row["weight_unit"]) == (226.0, "g")


def test_an_unknown_unit_is_a_warning_and_only_that_measure_is_not_used(tmp_path):
    result = load(tmp_path, "SKU-1,1.00,USD,14,10,0.7,furlongs,0.5,lb,", "SKU-2,1.00,USD,14,10,0.7,in,0.5,stone,",
                  "SKU-3,1.00,USD,14,10,0.7,in,0.5,stone,")
    assert shown(result) == [
        'warning: products.csv:2: column dimension_unit has "furlongs" on 1 row (first here), not a unit fba-audit '
        'reads (accepted: in, inch, inches, cm, centimeter, centimeters, centimetre, centimetres, mm, millimeter, '
        "millimeters, millimetre, millimetres); the rows were kept, but their length, width and height were not used."
        " Correct the unit in your products.csv.",
        'warning: products.csv:3: column weight_unit has "stone" on 2 rows (first here), not a unit fba-audit reads '
        "(accepted: lb, lbs, pound, pounds, oz, ounce, ounces, g, gram, grams, gramme, grammes, kg, kgs, kilogram, "
        "kilograms, kilo, kilos); the rows were kept, but their weight was not used. Correct the unit in your "
        "products.csv.",
    ]
    rows = products(result)
    assert [tuple(r[c] for c in SIZE) for r in rows] == [
        (None, None, None, None, 0.5, "lb"), (14.0, 10.0, 0.7, "in", None, None), (14.0, 10.0, 0.7, "in", None, None)]
    assert [r["unit_cost"] for r in rows] == [Decimal("1.00")] * 3
    assert accounting(result) == {"products.csv": (3, 3, 0, 0)}


def test_dimensions_given_in_part_are_a_warning(tmp_path):
    result = load(tmp_path, "SKU-1,1.00,USD,14,,0.7,in,0.5,lb,", "SKU-2,1.00,USD,14,10,0.7,,0.5,lb,")
    assert shown(result) == [
        "warning: products.csv:2: 2 rows (first here) give only part of length, width, height, dimension_unit "
        "(here width is empty); the rows were kept, but those values were not used. Fill in all of length, width, "
        "height, dimension_unit, or none.",
    ]
    assert [r["length"] for r in products(result)] == [None, None]
    assert [r["weight"] for r in products(result)] == [0.5, 0.5]


@pytest.mark.parametrize(("written", "category"), [
    ("Home & Kitchen", "Home and Kitchen"), ("home and kitchen", "Home and Kitchen"),
    ("Personal Computers", "Computers"), ("Toys & Games", "Toys and Games"),
])
def test_category_as_people_write_it(tmp_path, written, category):
    result = load(tmp_path, f"SKU-1,1.00,USD,,,,,,,{written}")
    assert shown(result) == []
    assert products(result)[0]["referral_category"] == category


def test_an_unknown_category_is_a_warning_naming_the_closest_and_is_left_empty(tmp_path):
    result = load(tmp_path, "SKU-1,1.00,USD,,,,,,,Toys", "SKU-2,1.00,USD,,,,,,,Widgets", "SKU-3,1.00,USD,,,,,,,Toys")
    hint = " Write the category as Amazon's referral fee schedule names it (docs/rate-cards.md lists the names)."
    assert shown(result) == [
        'warning: products.csv:2: column referral_category has "Toys" on 2 rows (first here), not a referral fee '
        "category fba-audit knows (closest: Toys and Games); the rows were kept, and their referral fee is judged "
        "from the Fee Preview product group, if any." + hint,
        'warning: products.csv:3: column referral_category has "Widgets" on 1 row (first here), not a referral fee '
        "category fba-audit knows; the rows were kept, and their referral fee is judged from the Fee Preview product "
        "group, if any." + hint,
    ]
    assert [r["referral_category"] for r in products(result)] == [None, None, None]


@pytest.mark.parametrize("compact", [False, True], ids=["full load", "compact load"])
def test_identical_rows_of_a_sku_are_one_row_counted_as_duplicates(tmp_path, compact):
    same = "SKU-1,4.10,USD,14,10,0.7,in,0.5,lb,Computers"
    result = load(tmp_path, same, "SKU-2,1.00,USD,,,,,,,", same, same, compact=compact)
    assert accounting(result) == {"products.csv": (4, 2, 2, 0)}
    assert shown(result) == [
        "info: products.csv:4: SKU SKU-1 is listed on lines 2, 4 and 5 with the same values; read as one row (lines "
        "4, 5 were counted as duplicates). Keep one row per SKU in your products.csv.",
    ]
    assert [(r["source_line"], r["sku"]) for r in products(result)] == [(2, "SKU-1"), (3, "SKU-2")]


@pytest.mark.parametrize("compact", [False, True], ids=["full load", "compact load"])
def test_conflicting_rows_keep_what_they_agree_on(tmp_path, compact):
    result = load(tmp_path, "SKU-1,4.10,USD,14,10,0.7,in,0.5,lb,Computers",
                  "SKU-1,4.35,USD,14,10,0.7,inches,0.6,lb,Computers", compact=compact)
    assert accounting(result) == {"products.csv": (2, 1, 1, 0)}
    assert shown(result) == [
        "warning: products.csv:3: SKU SKU-1 is listed on lines 2 and 3 with different unit_cost, currency (line 2: "
        "4.10 USD; line 3: 4.35 USD); and different weight, weight_unit (line 2: 0.5 lb; line 3: 0.6 lb): those "
        "values are not used, the values the lines agree on are (line 3 was counted as duplicate). Keep one row per "
        "SKU in your products.csv.",
    ]
    assert products(result) == [dict(
        source_line=2, sku="SKU-1", unit_cost=None, length=14.0, width=10.0, height=0.7, dimension_unit="in",
        weight=None, weight_unit=None, referral_category="Computers")]


def test_rows_that_complete_each_other_are_one_row(tmp_path):
    result = load(tmp_path, "SKU-1,4.10,USD,,,,,,,", "SKU-1,,,14,10,0.7,in,0.5,lb,Computers")
    assert accounting(result) == {"products.csv": (2, 1, 1, 0)}
    assert shown(result) == [
        "info: products.csv:3: SKU SKU-1 is listed on lines 2 and 3 without contradicting each other; read as one "
        "row (line 3 was counted as duplicate). Keep one row per SKU in your products.csv.",
    ]
    assert products(result) == [dict(
        source_line=2, sku="SKU-1", unit_cost=Decimal("4.10"), length=14.0, width=10.0, height=0.7,
        dimension_unit="in", weight=0.5, weight_unit="lb", referral_category="Computers")]
