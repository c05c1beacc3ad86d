"""US FBA fulfillment fees against Amazon's published tables, copied by hand (issue 18, "truth that is not our own code").

One row per case: the packaged unit, price and charge date, the size tier and fee Amazon's table gives, the table row
quoted, and the table it comes from (`truth_sources.SOURCES`). The arithmetic (dimensional weight, intervals above a
base weight) is written out in the quote, so a reader can check it against the table without running anything.

The cases walk every size-tier limit on each side (small standard, large standard, small / large bulky, the four
extra-large tiers; 2025 and 2026 cards), the price bands of both years on each side of each edge, dimensional weight
(where it applies, the 139 divisor, the 2-inch minimum, never on small standard or extra-large 150+ lb), rounding up
to the ounce / 4 oz / pound, the holiday peaks and the 2026 surcharge.

`sure=False` marks a row that rests on transcriptions of Amazon's page only (the 2026 bulky and extra-large rows):
fba-audit must still give the number, and must flag it unverified so that no finding on it is `claimable`.

Limits not testable on their own: a large bulky unit cannot reach a 33 in shortest side under 50 lb (33 x 33 x 33 in
is 258 lb dimensional), so the shortest-side limit of large bulky only ever meets the weight limit first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import pytest
from truth_sources import SOURCES

from fba_audit import ratecards


class Case(NamedTuple):
    id: str
    sides_in: tuple  # as a seller writes them, any order
    weight: str
    weight_unit: str
    price: str
    on: str
    tier: str
    fee: str
    row: str  # the table row(s) copied, with the arithmetic
    source: str  # key of truth_sources.SOURCES
    sure: bool = True


Y25 = "2025-06-01"  # 2025 card, outside the holiday peak
Y26 = "2026-02-01"  # 2026 card, before the fuel and logistics surcharge

CASES = [
    # ------------------------------------------------------------------ small standard <-> large standard, 2025
    Case("ss-every-limit-2025", (15, 12, "0.75"), "16", "oz", "20.00", Y25, "small_standard", "3.65",
         "small standard 14+ to 16 oz, $10 and over: $3.65 (15 x 12 x 0.75 in, 16 oz: every limit at its maximum)",
         "fees_2025"),
    Case("ss-longest-over-2025", ("15.01", 12, "0.75"), "16", "oz", "20.00", Y25, "large_standard", "4.55",
         "longest 15.01 > 15 in: large standard; dimensional 135.09 / 139 = 0.97 lb < 1 lb unit -> 12+ to 16 oz: $4.55",
         "fees_2025"),
    Case("ss-median-over-2025", (15, "12.01", "0.75"), "16", "oz", "20.00", Y25, "large_standard", "4.55",
         "median 12.01 > 12 in: large standard 12+ to 16 oz: $4.55", "fees_2025"),
    Case("ss-shortest-over-2025", (15, 12, "0.76"), "16", "oz", "20.00", Y25, "large_standard", "4.55",
         "shortest 0.76 > 0.75 in: large standard 12+ to 16 oz: $4.55", "fees_2025"),
    Case("ss-weight-over-2025", (10, 8, "0.5"), "17", "oz", "20.00", Y25, "large_standard", "4.99",
         "17 oz > 16 oz: large standard; 1.0625 lb -> 1+ to 1.25 lb: $4.99", "fees_2025"),
    # ------------------------------------------------------------------ the same, 2026 ($10 to $50)
    Case("ss-every-limit-2026", (15, 12, "0.75"), "16", "oz", "20.00", Y26, "small_standard", "3.96",
         "small standard 14+ to 16 oz, $10-$50: $3.96", "fees_2026"),
    Case("ss-longest-over-2026", ("15.01", 12, "0.75"), "16", "oz", "20.00", Y26, "large_standard", "4.60",
         "large standard 12+ to 16 oz, $10-$50: $4.60", "fees_2026"),
    Case("ss-median-over-2026", (15, "12.01", "0.75"), "16", "oz", "20.00", Y26, "large_standard", "4.60",
         "large standard 12+ to 16 oz, $10-$50: $4.60", "fees_2026"),
    Case("ss-shortest-over-2026", (15, 12, "0.76"), "16", "oz", "20.00", Y26, "large_standard", "4.60",
         "large standard 12+ to 16 oz, $10-$50: $4.60", "fees_2026"),
    Case("ss-weight-over-2026", (10, 8, "0.5"), "17", "oz", "20.00", Y26, "large_standard", "5.04",
         "large standard 1+ to 1.25 lb, $10-$50: $5.04", "fees_2026"),
    # ------------------------------------------------------------------ large standard <-> bulky, 2025 (large bulky)
    Case("ls-every-limit-2025", (18, 14, 8), "20", "lb", "20.00", Y25, "large_standard", "12.36",
         "large standard 3+ to 20 lb: $6.92 + $0.08 per 4 oz above the first 3 lb; 20 lb (dimensional 2016 / 139 = "
         "14.5 lb) -> 68 intervals: 6.92 + 5.44", "fees_2025"),
    Case("ls-longest-over-2025", ("18.01", 14, 8), "20", "lb", "20.00", Y25, "large_bulky", "16.83",
         "longest 18.01 > 18 in: large bulky $9.61 + $0.38 per lb above the first lb; 20 lb -> 9.61 + 19 x 0.38",
         "fees_2025"),
    Case("ls-median-over-2025", (18, "14.01", 8), "20", "lb", "20.00", Y25, "large_bulky", "16.83",
         "median 14.01 > 14 in: large bulky 9.61 + 19 x 0.38", "fees_2025"),
    Case("ls-shortest-over-2025", (18, 14, "8.01"), "20", "lb", "20.00", Y25, "large_bulky", "16.83",
         "shortest 8.01 > 8 in: large bulky 9.61 + 19 x 0.38", "fees_2025"),
    Case("ls-weight-over-2025", (18, 14, 8), "20.01", "lb", "20.00", Y25, "large_bulky", "17.21",
         "20.01 > 20 lb: large bulky; rounded up to 21 lb -> 9.61 + 20 x 0.38", "fees_2025"),
    # ------------------------------------------------------------------ the same, 2026 (small bulky is new)
    Case("ls-every-limit-2026", (18, 14, 8), "20", "lb", "20.00", Y26, "large_standard", "12.41",
         "large standard 3+ to 20 lb, $10-$50: $6.97 + $0.08 per 4 oz above 3 lb -> 6.97 + 68 x 0.08", "fees_2026"),
    Case("ls-longest-over-2026", ("18.01", 14, 8), "20", "lb", "20.00", Y26, "small_bulky", "14.77",
         "small bulky $7.55 + $0.38 per lb above the first lb -> 7.55 + 19 x 0.38", "bulky_2026", False),
    Case("ls-median-over-2026", (18, "14.01", 8), "20", "lb", "20.00", Y26, "small_bulky", "14.77",
         "small bulky 7.55 + 19 x 0.38", "bulky_2026", False),
    Case("ls-shortest-over-2026", (18, 14, "8.01"), "20", "lb", "20.00", Y26, "small_bulky", "14.77",
         "small bulky 7.55 + 19 x 0.38", "bulky_2026", False),
    Case("ls-weight-over-2026", (18, 14, 8), "20.01", "lb", "20.00", Y26, "small_bulky", "15.15",
         "small bulky, 21 lb -> 7.55 + 20 x 0.38", "bulky_2026", False),
    # ------------------------------------------------------------------ large bulky <-> extra-large
    Case("lb-longest-at-2025", (59, 10, 5), "10", "lb", "30.00", Y25, "large_bulky", "17.59",
         "longest 59 in: large bulky; dimensional 2950 / 139 = 21.2 -> 22 lb -> 9.61 + 21 x 0.38", "fees_2025"),
    Case("lb-longest-over-2025", ("59.01", 10, 5), "10", "lb", "30.00", Y25, "extra_large_0_to_50", "34.31",
         "longest 59.01 > 59 in: extra-large 0 to 50 lb $26.33 + $0.38 per lb above the first lb; 22 lb -> "
         "26.33 + 21 x 0.38", "fees_2025"),
    Case("lb-median-at-2025", (40, 33, 2), "5", "lb", "30.00", Y25, "large_bulky", "16.45",
         "median 33 in: large bulky; dimensional 2640 / 139 = 18.99 -> 19 lb -> 9.61 + 18 x 0.38", "fees_2025"),
    Case("lb-median-over-2025", (40, "33.01", 2), "5", "lb", "30.00", Y25, "extra_large_0_to_50", "33.17",
         "median 33.01 > 33 in: extra-large 0 to 50 lb, 19 lb -> 26.33 + 18 x 0.38", "fees_2025"),
    Case("lb-girth-at-2025", (59, 33, "2.5"), "10", "lb", "30.00", Y25, "large_bulky", "22.91",
         "length + girth 59 + 2 x (33 + 2.5) = 130 in: large bulky; dimensional 4867.5 / 139 = 35.02 -> 36 lb -> "
         "9.61 + 35 x 0.38", "fees_2025"),
    Case("lb-girth-over-2025", (59, 33, "2.51"), "10", "lb", "30.00", Y25, "extra_large_0_to_50", "39.63",
         "length + girth 130.02 > 130 in: extra-large 0 to 50 lb, 36 lb -> 26.33 + 35 x 0.38", "fees_2025"),
    Case("lb-weight-at-2025", (24, 16, 10), "50", "lb", "30.00", Y25, "large_bulky", "28.23",
         "50 lb: large bulky 9.61 + 49 x 0.38", "fees_2025"),
    Case("lb-weight-over-2025", (24, 16, 10), "50.01", "lb", "30.00", Y25, "extra_large_50_to_70", "40.12",
         "50.01 > 50 lb: extra-large 50+ to 70 lb $40.12 + $0.75 per lb above the first 51 lb; 51 lb -> 40.12",
         "fees_2025"),
    Case("lb-longest-at-2026", (59, 10, 5), "10", "lb", "30.00", Y26, "large_bulky", "17.33",
         "longest 59 > 37 in: large bulky, $10-$50: $9.35 + $0.38 per lb above the first lb -> 9.35 + 21 x 0.38",
         "bulky_2026", False),
    Case("lb-longest-over-2026", ("59.01", 10, 5), "10", "lb", "30.00", Y26, "extra_large_0_to_50", "34.31",
         "extra-large 0 to 50 lb, $10-$50: $26.33 + $0.38 per lb -> 26.33 + 21 x 0.38", "bulky_2026", False),
    Case("lb-median-at-2026", (40, 33, 2), "5", "lb", "30.00", Y26, "large_bulky", "16.19",
         "large bulky 9.35 + 18 x 0.38", "bulky_2026", False),
    Case("lb-median-over-2026", (40, "33.01", 2), "5", "lb", "30.00", Y26, "extra_large_0_to_50", "33.17",
         "extra-large 0 to 50 lb 26.33 + 18 x 0.38", "bulky_2026", False),
    Case("lb-girth-at-2026", (59, 33, "2.5"), "10", "lb", "30.00", Y26, "large_bulky", "22.65",
         "large bulky 9.35 + 35 x 0.38", "bulky_2026", False),
    Case("lb-girth-over-2026", (59, 33, "2.51"), "10", "lb", "30.00", Y26, "extra_large_0_to_50", "39.63",
         "extra-large 0 to 50 lb 26.33 + 35 x 0.38", "bulky_2026", False),
    Case("sb-weight-at-2026", (24, 16, 10), "50", "lb", "30.00", Y26, "small_bulky", "26.17",
         "small bulky 7.55 + 49 x 0.38", "bulky_2026", False),
    Case("sb-weight-over-2026", (24, 16, 10), "50.01", "lb", "30.00", Y26, "extra_large_50_to_70", "37.32",
         "extra-large 50+ to 70 lb, $10-$50: $37.32 + $0.75 per lb above 51 lb; 51 lb -> 37.32", "bulky_2026", False),
    # ------------------------------------------------------------------ extra-large weight tiers
    Case("xl-50-2025", (60, 10, 10), "50", "lb", "30.00", Y25, "extra_large_0_to_50", "44.95",
         "extra-large 0 to 50 lb: 26.33 + 49 x 0.38 (dimensional 6000 / 139 = 43.2 lb < 50)", "fees_2025"),
    Case("xl-70-2025", (60, 10, 10), "70", "lb", "30.00", Y25, "extra_large_50_to_70", "54.37",
         "extra-large 50+ to 70 lb: 40.12 + (70 - 51) x 0.75", "fees_2025"),
    Case("xl-over-70-2025", (60, 10, 10), "70.01", "lb", "30.00", Y25, "extra_large_70_to_150", "54.81",
         "extra-large 70+ to 150 lb $54.81 + $0.75 per lb above the first 71 lb; 71 lb -> 54.81", "fees_2025"),
    Case("xl-150-2025", (60, 10, 10), "150", "lb", "30.00", Y25, "extra_large_70_to_150", "114.06",
         "extra-large 70+ to 150 lb: 54.81 + (150 - 71) x 0.75", "fees_2025"),
    Case("xl-over-150-2025", (60, 10, 10), "150.01", "lb", "30.00", Y25, "extra_large_150_plus", "194.95",
         "extra-large 150+ lb $194.95 + $0.19 per lb above the first 151 lb; 151 lb -> 194.95", "fees_2025"),
    Case("xl-150-plus-unit-weight-2025", (100, 30, 30), "160", "lb", "30.00", Y25, "extra_large_150_plus", "196.66",
         "150+ lb is charged on unit weight only (dimensional 90000 / 139 = 647 lb is ignored): "
         "194.95 + (160 - 151) x 0.19", "fees_2025"),
    Case("xl-50-2026", (60, 10, 10), "50", "lb", "30.00", Y26, "extra_large_0_to_50", "44.95",
         "extra-large 0 to 50 lb, $10-$50: 26.33 + 49 x 0.38", "bulky_2026", False),
    Case("xl-70-2026", (60, 10, 10), "70", "lb", "30.00", Y26, "extra_large_50_to_70", "51.57",
         "extra-large 50+ to 70 lb, $10-$50: 37.32 + 19 x 0.75", "bulky_2026", False),
    Case("xl-over-70-2026", (60, 10, 10), "70.01", "lb", "30.00", Y26, "extra_large_70_to_150", "51.32",
         "extra-large 70+ to 150 lb, $10-$50: $51.32 + $0.75 per lb above 71 lb; 71 lb -> 51.32", "bulky_2026", False),
    Case("xl-150-2026", (60, 10, 10), "150", "lb", "30.00", Y26, "extra_large_70_to_150", "110.57",
         "extra-large 70+ to 150 lb: 51.32 + 79 x 0.75", "bulky_2026", False),
    Case("xl-over-150-2026", (60, 10, 10), "150.01", "lb", "30.00", Y26, "extra_large_150_plus", "194.95",
         "extra-large 150+ lb, $10-$50: $194.95 + $0.19 per lb above 151 lb", "bulky_2026", False),
    # ------------------------------------------------------------------ price bands, each side of each edge
    Case("band-2025-9.99", (6, 4, "0.5"), "1.5", "oz", "9.99", Y25, "small_standard", "2.29",
         "Low-Price small standard 2 oz or less: $3.06 - $0.77 = $2.29", "low_price_2025"),
    Case("band-2025-10.00", (6, 4, "0.5"), "1.5", "oz", "10.00", Y25, "small_standard", "3.06",
         "small standard 2 oz or less, $10 and over: $3.06", "fees_2025"),
    Case("band-2025-xl-9.99", ("59.01", 10, 5), "10", "lb", "9.99", Y25, "extra_large_0_to_50", "33.54",
         "Low-Price extra-large 0 to 50 lb: (26.33 - 0.77) + 21 x 0.38", "low_price_2025"),
    Case("band-2026-ls-9.99", (12, 9, 4), "1", "lb", "9.99", Y26, "large_standard", "6.23",
         "large standard 3+ to 20 lb, under $10: $6.15 + 1 x $0.08 (dimensional 432 / 139 = 3.11 -> 3.25 lb)",
         "fees_2026"),
    Case("band-2026-ls-10.00", (12, 9, 4), "1", "lb", "10.00", Y26, "large_standard", "7.05",
         "large standard 3+ to 20 lb, $10-$50: 6.97 + 0.08", "fees_2026"),
    Case("band-2026-ls-50.00", (12, 9, 4), "1", "lb", "50.00", Y26, "large_standard", "7.05",
         "large standard 3+ to 20 lb, $10-$50 ($50.00 read as in the band, as every transcription does): 6.97 + 0.08",
         "fees_2026"),
    Case("band-2026-ls-50.01", (12, 9, 4), "1", "lb", "50.01", Y26, "large_standard", "7.31",
         "large standard 3+ to 20 lb, over $50: 7.23 + 0.08", "fees_2026"),
    Case("band-2026-lb-9.99", (59, 10, 5), "10", "lb", "9.99", Y26, "large_bulky", "16.56",
         "large bulky, under $10: 8.58 + 21 x 0.38", "bulky_2026", False),
    Case("band-2026-lb-50.01", (59, 10, 5), "10", "lb", "50.01", Y26, "large_bulky", "17.33",
         "large bulky, over $50: 9.35 + 21 x 0.38 (same base as $10-$50)", "bulky_2026", False),
    Case("band-2026-xl-9.99", ("59.01", 10, 5), "10", "lb", "9.99", Y26, "extra_large_0_to_50", "33.54",
         "extra-large 0 to 50 lb, under $10: 25.56 + 21 x 0.38", "bulky_2026", False),
    Case("band-2026-xl-50.01", ("59.01", 10, 5), "10", "lb", "50.01", Y26, "extra_large_0_to_50", "34.31",
         "extra-large 0 to 50 lb, over $50: 26.33 + 21 x 0.38", "bulky_2026", False),
    # ------------------------------------------------------------------ dimensional weight
    Case("dim-not-on-small-standard", (15, 12, "0.75"), "2", "oz", "20.00", Y25, "small_standard", "3.06",
         "small standard uses unit weight only: 2 oz (not the 135 / 139 = 0.97 lb dimensional) -> 2 oz or less: $3.06",
         "fees_2025"),
    Case("dim-139-exactly-1-lb", ("13.9", 10, 1), "4", "oz", "20.00", Y25, "large_standard", "4.55",
         "dimensional 139 / 139 = 1.00 lb > 4 oz unit -> 12+ to 16 oz: $4.55", "fees_2025"),
    Case("dim-139-just-over-1-lb", ("13.9", 10, "1.01"), "4", "oz", "20.00", Y25, "large_standard", "4.99",
         "dimensional 140.39 / 139 = 1.01 lb -> 1+ to 1.25 lb: $4.99 (a 166 divisor would give 0.85 lb, $4.55)",
         "fees_2025"),
    Case("dim-unit-weight-greater", (10, 8, 2), "2", "lb", "20.00", Y25, "large_standard", "5.77",
         "unit 2 lb > dimensional 160 / 139 = 1.15 lb -> 1.75+ to 2 lb: $5.77", "fees_2025"),
    Case("dim-no-2-inch-minimum-on-large-standard-2025", (17, 13, "0.8"), "4", "oz", "20.00", Y25, "large_standard",
         "5.37", "dimensional 17 x 13 x 0.8 / 139 = 1.27 lb -> 1.25+ to 1.5 lb: $5.37 (a 2-inch minimum, which Amazon "
         "states for bulky and extra-large only, would give 3.18 lb, $7.00)", "fees_2025"),
    Case("dim-no-2-inch-minimum-on-large-standard-2026", (17, 13, "0.8"), "4", "oz", "20.00", Y26, "large_standard",
         "5.42", "large standard 1.25+ to 1.5 lb, $10-$50: $5.42", "fees_2026"),
    Case("dim-2-inch-minimum-large-bulky-2025", (50, "1.5", "1.5"), "1", "lb", "20.00", Y25, "large_bulky", "9.99",
         "dimensional with the 2-inch minimum 50 x 2 x 2 / 139 = 1.44 -> 2 lb -> 9.61 + 1 x 0.38 (without it "
         "0.81 lb -> 1 lb, $9.61)", "fees_2025"),
    Case("dim-2-inch-minimum-large-bulky-2026", (50, "1.5", "1.5"), "1", "lb", "20.00", Y26, "large_bulky", "9.73",
         "large bulky (50 > 37 in), 2 lb -> 9.35 + 0.38", "bulky_2026", False),
    Case("dim-2-inch-minimum-extra-large", (60, 1, 1), "1", "lb", "20.00", Y25, "extra_large_0_to_50", "26.71",
         "dimensional 60 x 2 x 2 / 139 = 1.73 -> 2 lb -> 26.33 + 1 x 0.38 (without the minimum 0.43 -> 1 lb, $26.33)",
         "fees_2025"),
    Case("dim-whiteboard-2026", (40, 25, 1), "4.5", "lb", "30.00", Y26, "large_bulky", "14.67",
         "Amazon's whiteboard, 40 x 2 x 25 / 139 = 14.4 -> 15 lb; 2026 large bulky (40 > 37 in): 9.35 + 14 x 0.38",
         "bulky_2026", False),
    # ------------------------------------------------------------------ rounding up to the increment
    Case("round-oz-at-4", (6, 4, "0.5"), "4", "oz", "20.00", Y25, "small_standard", "3.15",
         "small standard 2+ to 4 oz: $3.15 (4 oz exactly)", "fees_2025"),
    Case("round-oz-over-4", (6, 4, "0.5"), "4.01", "oz", "20.00", Y25, "small_standard", "3.24",
         "4.01 oz -> 5 oz: small standard 4+ to 6 oz: $3.24", "fees_2025"),
    Case("round-large-standard-at-1-lb", (10, 6, 1), "1", "lb", "20.00", Y25, "large_standard", "4.55",
         "large standard 12+ to 16 oz: $4.55 (dimensional 60 / 139 = 0.43 lb)", "fees_2025"),
    Case("round-large-standard-over-1-lb", (10, 6, 1), "1.01", "lb", "20.00", Y25, "large_standard", "4.99",
         "1.01 lb -> 1.25 lb: large standard 1+ to 1.25 lb: $4.99", "fees_2025"),
    Case("round-large-standard-at-3-lb", (10, 6, 1), "3", "lb", "20.00", Y25, "large_standard", "6.62",
         "large standard 2.75+ to 3 lb: $6.62", "fees_2025"),
    Case("round-large-standard-over-3-lb", (10, 6, 1), "3.01", "lb", "20.00", Y25, "large_standard", "7.00",
         "3.01 lb: one started 4-oz interval above 3 lb -> 6.92 + 0.08", "fees_2025"),
    Case("round-large-standard-3.25-lb", (10, 6, 1), "3.25", "lb", "20.00", Y25, "large_standard", "7.00",
         "3.25 lb: one interval -> 6.92 + 0.08", "fees_2025"),
    Case("round-large-standard-3.26-lb", (10, 6, 1), "3.26", "lb", "20.00", Y25, "large_standard", "7.08",
         "3.26 lb: two intervals -> 6.92 + 2 x 0.08", "fees_2025"),
    Case("round-extra-large-over-51-lb", (60, 10, 10), "51.01", "lb", "30.00", Y25, "extra_large_50_to_70", "40.87",
         "51.01 lb -> 52 lb: 40.12 + 1 x 0.75", "fees_2025"),
    # ------------------------------------------------------------------ holiday peaks and the 2026 surcharge
    Case("peak-2025-day-before", (10, 8, 2), "2", "lb", "20.00", "2025-10-14", "large_standard", "5.77",
         "non-peak large standard 1.75+ to 2 lb: $5.77", "fees_2025"),
    Case("peak-2025-first-day", (10, 8, 2), "2", "lb", "20.00", "2025-10-15", "large_standard", "6.10",
         "peak large standard 1.75+ to 2 lb: $6.10", "peak_2025"),
    Case("peak-2025-small-standard", (6, 4, "0.5"), "1.5", "oz", "12.00", "2025-11-20", "small_standard", "3.25",
         "peak small standard 2 oz or less: $3.25", "peak_2025"),
    Case("peak-2025-last-day", (10, 8, 2), "2", "lb", "20.00", "2026-01-14", "large_standard", "6.10",
         "peak large standard 1.75+ to 2 lb: $6.10 (the peak ends 2026-01-14)", "peak_2025"),
    Case("card-2026-first-day", (10, 8, 2), "2", "lb", "20.00", "2026-01-15", "large_standard", "5.82",
         "2026 large standard 1.75+ to 2 lb, $10-$50: $5.82", "fees_2026"),
    Case("surcharge-day-before", (10, 6, 1), "1", "lb", "20.00", "2026-04-16", "large_standard", "4.60",
         "2026 large standard 12+ to 16 oz, $10-$50: $4.60, no surcharge yet", "fees_2026"),
    Case("surcharge-first-day", (10, 6, 1), "1", "lb", "20.00", "2026-04-17", "large_standard", "4.76",
         "4.60 x 1.035 = 4.761", "surcharge_2026"),
    Case("surcharge-small-standard-over-50", (10, 7, "0.5"), "11", "oz", "60.00", "2026-06-01", "small_standard",
         "4.18", "small standard 10+ to 12 oz, over $50: $4.04; x 1.035 = 4.1814", "surcharge_2026"),
    Case("peak-2026-day-before", (10, 6, 1), "1", "lb", "20.00", "2026-10-14", "large_standard", "4.76",
         "non-peak 4.60 x 1.035 = 4.761", "surcharge_2026"),
    Case("peak-2026-first-day", (10, 6, 1), "1", "lb", "20.00", "2026-10-15", "large_standard", "5.06",
         "peak large standard 12+ to 16 oz, $10-$50: $4.89; x 1.035 (assumed on peak days too) = 5.06115",
         "peak_2026"),
    Case("peak-2026-small-standard-under-10", (6, 4, "0.5"), "3", "oz", "9.99", "2026-12-07", "small_standard",
         "2.77", "peak small standard 2+ to 4 oz, under $10: $2.68; x 1.035 = 2.7738", "peak_2026"),
]


def test_every_case_names_a_known_source_and_a_unique_id():
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.source for case in CASES} <= set(SOURCES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fulfillment_fee_matches_amazons_table(case: Case):
    result = ratecards.expected_fulfillment_fee(*case.sides_in, "inches", case.weight, case.weight_unit, case.price,
                                                marketplace="US", on=dt.date.fromisoformat(case.on))
    got = (result.tier.tier if result.tier else None, result.fee)
    assert got == (case.tier, Decimal(case.fee)), f"{case.row} [{SOURCES[case.source]}]"
    # A row that rests on transcriptions only must never support a claimable finding.
    assert result.verified is case.sure, f"{case.id}: verified should be {case.sure} ({case.source})"


# Sellers write metric sizes too. 1 in = 2.54 cm and 1 lb = 453.59237 g exactly (the international yard and pound,
# 1959), so a unit written in centimetres and grams at a limit is at the limit, not a rounding error above it.
METRIC_CASES = [
    # (id, sides cm, weight, unit, tier, fee, row)
    ("metric-ss-every-limit", ("38.1", "30.48", "1.905"), "453.59237", "g", "small_standard", "3.65",
     "38.1 x 30.48 x 1.905 cm, 453.59237 g = 15 x 12 x 0.75 in, 16 oz: small standard 14+ to 16 oz, $3.65"),
    ("metric-ls-every-limit", ("45.72", "35.56", "20.32"), "9.0718474", "kg", "large_standard", "12.36",
     "18 x 14 x 8 in, 20 lb: large standard 3+ to 20 lb, 6.92 + 68 x 0.08"),
    ("metric-lb-limits", ("149.86", "83.82", "6.35"), "22.6796185", "kg", "large_bulky", "28.23",
     "59 x 33 x 2.5 in (length + girth 130 in), 50 lb: large bulky 9.61 + 49 x 0.38"),
    ("metric-xl-70", ("152.4", "25.4", "25.4"), "31.7514659", "kg", "extra_large_50_to_70", "54.37",
     "60 x 10 x 10 in, 70 lb: extra-large 50+ to 70 lb, 40.12 + 19 x 0.75"),
]


@pytest.mark.parametrize(("sides_cm", "weight", "unit", "tier", "fee", "row"), [c[1:] for c in METRIC_CASES],
                         ids=[c[0] for c in METRIC_CASES])
def test_metric_units_at_the_limits(sides_cm, weight, unit, tier, fee, row):
    result = ratecards.expected_fulfillment_fee(*sides_cm, "cm", weight, unit, "20.00", marketplace="US",
                                                on=dt.date.fromisoformat(Y25))
    assert (result.tier.tier, result.fee) == (tier, Decimal(fee)), f"{row} [{SOURCES['fees_2025']}]"
