"""Detector accuracy on simulated accounts: recall, precision and exactness per detector.

    python benchmarks/bench_accuracy.py                       # 500 and 5,000 SKUs x 12 months, seeds 1 2 3
    python benchmarks/bench_accuracy.py --skus 200 --seeds 7 --months 6 --out -   # print only
    python benchmarks/bench_accuracy.py --shape-skus 0         # base and realistic accounts only

For every size and seed, the base account and the realistic preset (every account shape), and each shape alone
at --shape-skus SKUs: `fba_audit.simulate.simulate` writes a seller account with planted claims and traps
(truth.json) into a temporary folder, `fba_audit.api.audit` audits it on the simulation's audit date, and
`fba_audit.accuracy.compare` matches the findings with the truth. Prints one table per account kind and size
(seeds summed) and one for all runs, then writes them to docs/accuracy.md with the sizes, seeds and the date of
the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from fba_audit.accuracy import AccuracyReport, compare, render_markdown
from fba_audit.api import audit
from fba_audit.simulate import DEFAULT_AS_OF, TRUTH_FILE, simulate
from fba_audit.simulate._shapes import SHAPES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "accuracy.md"


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.replace(",", " ").split()]


def run_one(skus: int, months: int, seed: int, as_of: dt.date, work: Path,
            shapes: str | None = None) -> tuple[AccuracyReport, dict]:
    folder = work / f"sim-{skus}-{months}-{seed}-{shapes or 'base'}"
    started = time.perf_counter()
    summary = simulate(folder, skus=skus, months=months, seed=seed, as_of=as_of, shapes=shapes)
    simulated = time.perf_counter()
    result = audit(folder, as_of=as_of)
    audited = time.perf_counter()
    truth = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
    report = compare(truth, result.findings)
    info = {"skus": skus, "months": months, "seed": seed, "simulate_s": simulated - started,
            "audit_s": audited - simulated, "mb": summary.bytes_written / 1e6, "claims": len(truth["claims"]),
            "traps": len(truth["traps"]), "findings": result.findings.height,
            "skipped": [s.code for s in result.skipped], "shapes": truth.get("shapes", {})}
    shutil.rmtree(folder, ignore_errors=True)
    return report, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", default="500 5000", help="account sizes (SKUs), e.g. '500 5000'")
    parser.add_argument("--months", type=int, default=12, help="months of reports per account")
    parser.add_argument("--seeds", default="1 2 3", help="simulation seeds, e.g. '1 2 3'")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=DEFAULT_AS_OF, help="audit date")
    parser.add_argument("--shape-skus", type=int, default=500,
                        help="size of the accounts run with one shape each (0: none)")
    parser.add_argument("--out", default=str(DOC), help="Markdown file to write ('-' to only print)")
    parser.add_argument("--work", help="folder for the simulated accounts (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes, seeds = _ints(args.skus), _ints(args.seeds)
    # (label, shapes, sizes): the base account and the realistic preset at every size, each shape alone at one.
    plans = [("base", None, sizes), ("realistic", "realistic", sizes)]
    if args.shape_skus:
        plans += [(name, name, [args.shape_skus]) for name in SHAPES]

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="fba-accuracy-"))
    work.mkdir(parents=True, exist_ok=True)
    reports: dict[tuple[str, int], AccuracyReport] = {}
    planted: dict[str, dict] = {}
    runs: list[dict] = []
    started = time.perf_counter()
    try:
        for label, shapes, plan_sizes in plans:
            for skus in plan_sizes:
                for seed in seeds:
                    report, info = run_one(skus, args.months, seed, args.as_of, work, shapes)
                    runs.append(info | {"exact": report.exact, "label": label})
                    key = (label, skus)
                    reports[key] = reports[key].merge(report) if key in reports else report
                    for shape, what in info["shapes"].items():
                        into = planted.setdefault(shape, {"claims": 0, "traps": 0})
                        if label == shape:
                            into["claims"] += what["claims"]
                            into["traps"] += what["traps"]
                    print(f"{label:>18}: {skus:>7,} SKUs x {args.months} months, seed {seed}: {info['claims']} "
                          f"claims, {info['traps']} traps, {info['findings']} findings; simulate "
                          f"{info['simulate_s']:.1f} s, audit {info['audit_s']:.1f} s; "
                          f"{'exact' if report.exact else 'DISAGREES'}", flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started

    text = _document(args, sizes, seeds, reports, planted, runs, elapsed)
    print()
    print(text)
    if args.out != "-":
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0 if all(r.exact for r in reports.values()) else 1


def _merged(reports: list[AccuracyReport]) -> AccuracyReport | None:
    out = None
    for report in reports:
        out = report if out is None else out.merge(report)
    return out


def _document(args, sizes, seeds, reports, planted, runs, elapsed) -> str:
    seed_list = ", ".join(str(s) for s in seeds)
    lines = [
        "# Detector accuracy on simulated accounts",
        "",
        "Generated by `python benchmarks/bench_accuracy.py"
        + (f" --skus '{args.skus}'" if args.skus != "500 5000" else "")
        + (f" --months {args.months}" if args.months != 12 else "")
        + (f" --seeds '{args.seeds}'" if args.seeds != "1 2 3" else "")
        + (f" --as-of {args.as_of}" if args.as_of != DEFAULT_AS_OF else "")
        + (f" --shape-skus {args.shape_skus}" if args.shape_skus != 500 else "")
        + f"` on {dt.date.today()} ({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores, {elapsed / 60:.1f} minutes in all). Do not edit by hand: re-run it.",
        "",
        f"Each account is simulated by `fba-audit simulate` ({args.months} months of reports before the audit date "
        f"{args.as_of}; seeds {seed_list}) with planted claims and traps listed in its `truth.json`, audited with "
        "`fba_audit.api.audit`, and compared with `fba_audit.accuracy.compare`: a finding matches a planted claim "
        "by the business keys of its detector (`fba_audit.accuracy.KEY_FIELDS`; FBA01 / FBA10 per SKU, rate-card "
        "table and charge month).",
        "",
        "Three kinds of account are run: the **base** account (tidy: every order item in one shipment, one "
        "products.csv row per SKU in inches and pounds, no fee correction, settlement flat files, FBA only), the "
        "**realistic** preset (`fba-audit simulate --shape realistic`: every account shape below at once) at "
        f"every size, and **each shape alone** at {args.shape_skus:,} SKUs. A shape adds what real folders have "
        "and plants its own claims and traps (`truth.json` `shapes`; `fba_audit.simulate._shapes`).",
        "",
        "- **planted**: planted claims (every status); **traps**: planted traps; **found**: findings (every "
        "status); **matched** / **missed**: planted claims with / without a finding.",
        "- **false claims**: `claimable` or `review` findings that match no planted claim; **traps claimed** is "
        "the part of them that hits a planted trap. **extra**: `waiting` / `expired` findings that match nothing.",
        "- **status / units / value diff**: matched pairs whose status, units or amount (exact to the cent) differ.",
        "- **recall**: share of the planted `claimable` + `review` claims found as `claimable` or `review`; "
        "**precision**: share of the `claimable` + `review` findings that are planted `claimable` + `review` claims.",
        "",
        "The simulated business is clean by construction apart from the planted stories, so precision measures "
        "false claims on ordinary activity (refunds with returns, found or reimbursed losses, fully received "
        "shipments, correct fees) as well as on the traps.",
        "",
        "## Runs",
        "",
        "| account | SKUs | months | seed | claims | traps | findings | report MB | simulate s | audit s | exact |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in runs:
        lines.append(f"| {r['label']} | {r['skus']:,} | {r['months']} | {r['seed']} | {r['claims']} | {r['traps']} | "
                     f"{r['findings']} | {r['mb']:.0f} | {r['simulate_s']:.1f} | {r['audit_s']:.1f} | "
                     f"{'yes' if r['exact'] else '**no**'} |")
    for label, title in (("base", "Base account"), ("realistic", "Realistic preset (every shape)")):
        for skus in sizes:
            report = reports.get((label, skus))
            if report is not None:
                lines += ["", f"## {title}: {skus:,} SKUs x {args.months} months, seeds {seed_list} (summed)", "",
                          render_markdown(report, details=20).rstrip()]
    for name, what in SHAPES.items():
        report = reports.get((name, args.shape_skus))
        if report is None:
            continue
        counts = planted.get(name, {"claims": 0, "traps": 0})
        lines += ["", f"## Shape `{name.replace('_', '-')}`: {what}", "", SHAPE_NOTES[name], "",
                  f"{args.shape_skus:,} SKUs x {args.months} months, seeds {seed_list} (summed): the shape touched "
                  f"{counts['claims']} planted claims and set {counts['traps']} traps of its own.", "",
                  render_markdown(report, details=20).rstrip()]
    lines += ["", "## What the shapes found", "", *FOUND]
    overall = _merged(list(reports.values()))
    if overall is not None:
        lines += ["", "## All runs", "", render_markdown(overall, details=50).rstrip()]
        if overall.exact:
            lines += ["", "Every planted claim was found with its exact status, units and value, and nothing else "
                      "was reported: no false claim, no trap claimed."]
    return "\n".join(lines) + "\n"


# Disagreements the shapes showed when they were written (issue 18), and what became of them.
FOUND = [
    "- **Fixed**: a settlement `INCORRECT_FEES_NON_ITEMIZED` line (it names neither SKU nor order) posted inside "
    "the dates of the Reimbursements report was dropped as a duplicate of the report, which can never list it; "
    "FBA01 / FBA10 then kept `claimable` the charges it may have paid (`fba_audit.netting`, fixture "
    "`FBA01/finds_non_itemized_correction_inside_reimbursements_report`).",
    "- **Open**: Date Range files give the Pacific date of a charge, settlement files the UTC date, and the fee "
    "detectors pick the rate-card table (and the holiday-peak days) by that date. A charge posted between 00:00 "
    "and about 08:00 UTC on the first day of a table or of the peak is judged with the previous table from a Date "
    "Range file and with the new one from a settlement: on Date-Range-only accounts whose ship times span the "
    "whole day this gave false FBA01 `review` findings of a few cents to a dollar (35 on a 300-SKU account). "
    "Which date Amazon applies is not known here; `date-range-only` therefore ships between 08:00 and 23:59 UTC.",
    "- **Open**: from Date Range files FBA07 subtracts the net `selling fees` of a refund (Commission credited back "
    "less the RefundCommission Amazon keeps), so its value is higher than from settlement files by the refund "
    "administration fee (the value diffs of the `date-range-only` and `realistic` runs).",
]


# What each shape puts in the account and what a correct audit must do with it (docs/accuracy.md).
SHAPE_NOTES = {
    "split_shipments": "About 30 % of the order items of 2 or more units ship in two shipments: two settlement "
    "Order groups with the same order id and order-item-code, each with its own `quantity-purchased`, shipment id "
    "and fee lines. Units and fees are summed over both (fee claims of those SKUs keep their value); traps: SKUs "
    "with split items and correct fees (FBA01, FBA10) and refunds of split items (FBA03).",
    "unit_spellings": "products.csv writes dimensions in `inches`, `inch`, `Inches`, `cm`, `mm` or "
    "`centimeters` and weights in `lbs`, `pounds`, `Pounds`, `ounces`, `oz`, `kg` or `g`, the numbers converted "
    "exactly. The FBA01 claims of those SKUs (which need the seller's dimensions) must still be found.",
    "duplicate_products": "About 4 % of the SKUs (and half the fee SKUs) are listed twice, identically; some "
    "twice with another unit cost, some with another height. Identical rows are one row; conflicting ones are an "
    "input problem, and what the rows agree on is still used (the fee claims stay); a SKU whose heights disagree "
    "is a trap (FBA01).",
    "fee_corrections": "Half the claimable fee SKUs get Amazon's itemized fee correction (`FeeCorrection` in "
    "Reimbursements, `INCORRECT_FEES_ITEMS` in the settlement) for their last charge in the window, paying all or "
    "half of it; one `INCORRECT_FEES_NON_ITEMIZED` line pays 60 % of the overcharges open 30 days before the "
    "audit. What an itemized correction paid is subtracted once (the group is `review`, or settled if paid in "
    "full); the charges the non-itemized one may have paid are `review`, not subtracted.",
    "sparse_returns": "No return in the last 28 days of data (the returns and refunds of those days are left "
    "out): refunds without return planted earlier stay `claimable`, because the returns report covers the period "
    "the folder covers, not only up to its last row.",
    "mfn_orders": "About 3 % of the ordinary SKUs are shipped by the seller (`fulfillment-id` MFN, All Orders "
    "`Merchant`, Date Range `Seller`): no FBA fee, no ledger Shipments, and their refunds have no FBA return. "
    "Traps: those SKUs (FBA01) and their refunds (FBA07).",
    "promotions": "About 8 % of the ordinary order items carry a promotional discount (`Promotion`/`Principal` "
    "with a `promotion-id`, All Orders `item-promotion-discount` and `promotion-ids`, Date Range `promotional "
    "rebates`), given back on refunds; Commission is charged on the full price. Traps: promoted SKUs (FBA10) "
    "and refunds of promoted items (FBA03).",
    "legacy_adjustments": "The first 24 days of inventory events come in the legacy Inventory Adjustments report "
    "(11 columns; the ledger's reasons 6 and 7 written E and Q written K, their legacy meanings) and the Received "
    "Inventory report, and the ledger downloads start after them. Its ordinary losses, found units and receipts "
    "must be read with the legacy meanings and give no false claim.",
    "date_range_only": "No settlement flat file: a monthly Date Range transaction report for every month. "
    "Their `fba fees` and `selling fees` columns sum every fee of a kind and they print no shipment id, so the "
    "FBA01, FBA10 and partnered-carrier FBA04 claims are `review`; withheld taxes are summed, so no FBA06 claim "
    "can be seen (taken out of the truth). Refunds give only the net `selling fees` (Commission less "
    "RefundCommission): FBA07 values them with it (see the value diff).",
}


if __name__ == "__main__":
    sys.exit(main())
