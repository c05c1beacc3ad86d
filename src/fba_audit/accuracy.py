"""How well the detectors find what a simulated account planted: `compare(truth, findings) -> AccuracyReport`.

`truth` is the `truth.json` of `fba-audit simulate` (`fba_audit.simulate`): every planted claim (code, business
keys, expected status on the audit date, units, value) and every planted trap (something that looks like a claim
but must not be claimed). `findings` is `AuditResult.findings` of an audit of the same folder on the same date.

## Matching

A finding matches a planted claim of the same detector code when their **business keys** agree. The key per code
is the part of the finding id that names the thing claimed (`KEY_FIELDS`):

| code | key | why |
| --- | --- | --- |
| FBA01, FBA10 | sku, rate-card table id, charge month (`2026-09`; `2026-07:expired`) | one finding per group |
| FBA02 | fnsku, reference_id (the ledger adjustment's Reference ID) | one finding per adjustment |
| FBA03, FBA06, FBA07, FBA09 | order_id, sku | one planted refund (FBA09: one returned unit) per order |
| FBA04, FBA08 | shipment_id, fnsku | one finding per shipment and FNSKU |
| FBA05 | fnsku, order_id | one planted return per order |

Fee keys come from the finding id (`FBA01:US:<sku>:<table_id>:<YYYY-MM>[:expired]`); the rest from the finding's
own columns. Each finding is matched at most once: when several findings share a planted claim's key, the one with
the same status is preferred, and the others count as unmatched.

A planted **trap** is matched on the keys it names (a key the trap leaves null matches anything: an FBA01 trap
names only the SKU, so every FBA01 finding for that SKU hits it).

## Counts, per detector

- `planted`: planted claims (every status); `traps`: planted traps; `found`: findings (every status).
- `matched`: planted claims with a matching finding; `missed`: planted claims without one.
- `false_claims`: findings with status `claimable` or `review` that match no planted claim; `trap_hits` is the
  part of them that hits a planted trap (reported separately as well as counted in `false_claims`).
- `extra`: `waiting` / `expired` findings that match no planted claim (not a claim today, but still wrong).
- `status_mismatches`, `unit_mismatches`, `value_mismatches`: matched pairs whose status, units (`quantity`) or
  value (`amount`, exact Decimal; an empty amount equals only an empty value) differ.
- `recall`: of the planted claims whose expected status is `claimable` or `review`, the share matched by a finding
  whose status is `claimable` or `review`. `precision`: of the findings with status `claimable` or `review`, the
  share that match a planted claim whose status is `claimable` or `review`. None when there is nothing to divide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

ACTIONABLE = ("claimable", "review")
CODES = tuple(f"FBA{n:02d}" for n in range(1, 11))
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "FBA01": ("sku", "table_id", "period"),
    "FBA02": ("fnsku", "reference_id"),
    "FBA03": ("order_id", "sku"),
    "FBA04": ("shipment_id", "fnsku"),
    "FBA05": ("fnsku", "order_id"),
    "FBA06": ("order_id", "sku"),
    "FBA07": ("order_id", "sku"),
    "FBA08": ("shipment_id", "fnsku"),
    "FBA09": ("order_id", "sku"),
    "FBA10": ("sku", "table_id", "period"),
}
FEE_CODES = ("FBA01", "FBA10")
_COUNTER = {"status": "status_mismatches", "units": "unit_mismatches", "value": "value_mismatches"}


@dataclass
class Mismatch:
    """One disagreement between a planted case and the findings, for the report's detail list."""

    code: str
    kind: str  # missed, false, trap, extra, status, units, value
    key: tuple
    variant: str | None = None
    expected: Any = None
    got: Any = None
    finding_id: str | None = None

    def describe(self) -> str:
        where = ", ".join(str(k) for k in self.key)
        variant = f" [{self.variant}]" if self.variant else ""
        fid = f" ({self.finding_id})" if self.finding_id else ""
        if self.kind == "missed":
            return f"{self.code} missed{variant} {where}: expected {self.expected}"
        if self.kind in ("false", "trap", "extra"):
            label = {"false": "false claim", "trap": "trap claimed", "extra": "unplanted finding"}[self.kind]
            return f"{self.code} {label}{variant} {where}{fid}: got {self.got}"
        return f"{self.code} {self.kind} mismatch{variant} {where}{fid}: expected {self.expected}, got {self.got}"


@dataclass
class DetectorAccuracy:
    code: str
    planted: int = 0
    traps: int = 0  # planted traps
    found: int = 0
    matched: int = 0
    missed: int = 0
    false_claims: int = 0
    trap_hits: int = 0
    extra: int = 0
    status_mismatches: int = 0
    unit_mismatches: int = 0
    value_mismatches: int = 0
    planted_actionable: int = 0
    recalled: int = 0  # planted actionable claims matched by an actionable finding
    found_actionable: int = 0
    true_actionable: int = 0  # actionable findings matching an actionable planted claim

    @property
    def recall(self) -> float | None:
        return self.recalled / self.planted_actionable if self.planted_actionable else None

    @property
    def precision(self) -> float | None:
        return self.true_actionable / self.found_actionable if self.found_actionable else None

    @property
    def exact(self) -> bool:
        """Every planted claim found with its status, units and value, and nothing else claimed."""
        return not (self.missed or self.false_claims or self.extra or self.status_mismatches
                    or self.unit_mismatches or self.value_mismatches)

    def add(self, other: DetectorAccuracy) -> None:
        for name in ("planted", "traps", "found", "matched", "missed", "false_claims", "trap_hits", "extra",
                     "status_mismatches", "unit_mismatches", "value_mismatches", "planted_actionable", "recalled",
                     "found_actionable", "true_actionable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class AccuracyReport:
    detectors: dict[str, DetectorAccuracy]
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def total(self) -> DetectorAccuracy:
        total = DetectorAccuracy("all")
        for row in self.detectors.values():
            total.add(row)
        return total

    @property
    def exact(self) -> bool:
        return all(d.exact for d in self.detectors.values())

    def merge(self, other: AccuracyReport) -> AccuracyReport:
        """The sum of two reports (e.g. several seeds or sizes)."""
        out = {code: DetectorAccuracy(code) for code in sorted(set(self.detectors) | set(other.detectors))}
        for report in (self, other):
            for code, row in report.detectors.items():
                out[code].add(row)
        return AccuracyReport(out, [*self.mismatches, *other.mismatches])


# ------------------------------------------------------------------------------------------- keys

def _fee_parts(finding_id: str, code: str, marketplace: str, sku: str | None) -> tuple[str | None, str | None]:
    """(table_id, period) from `FBA01:US:<sku>:<table_id>:<YYYY-MM>[:expired]`."""
    prefix = f"{code}:{marketplace}:{sku}:"
    if sku is None or not finding_id.startswith(prefix):
        return None, None
    table_id, _, period = finding_id[len(prefix):].partition(":")
    return table_id or None, period or None


def finding_key(row: dict) -> tuple:
    """The business key of one finding row (a dict with the Findings columns)."""
    code = row["code"]
    values = dict(row)
    if code in FEE_CODES:
        values["table_id"], values["period"] = _fee_parts(row["finding_id"], code, row["marketplace"], row["sku"])
    return tuple(values.get(f) for f in KEY_FIELDS.get(code, ("finding_id",)))


def truth_key(case: dict) -> tuple:
    """The business key of one planted claim or trap of truth.json (None where the case names no value)."""
    keys = case["keys"]
    return tuple(keys.get(f) for f in KEY_FIELDS.get(case["code"], ()))


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# ------------------------------------------------------------------------------------------- compare

def compare(truth: dict, findings: pl.DataFrame) -> AccuracyReport:
    """Match findings to the planted claims and traps of `truth`; count per detector (see the module doc)."""
    claims = truth.get("claims", [])
    traps = truth.get("traps", [])
    codes = sorted({*CODES, *(c["code"] for c in claims), *(t["code"] for t in traps),
                    *(findings["code"].unique().to_list() if findings.height else [])})
    report = AccuracyReport({code: DetectorAccuracy(code) for code in codes})
    rows = findings.sort("finding_id").to_dicts() if findings.height else []
    by_key: dict[tuple[str, tuple], list[int]] = {}
    for i, row in enumerate(rows):
        by_key.setdefault((row["code"], finding_key(row)), []).append(i)
        acc = report.detectors[row["code"]]
        acc.found += 1
        if row["status"] in ACTIONABLE:
            acc.found_actionable += 1
    used: dict[int, dict] = {}  # finding index -> the planted claim it matched
    ordered = sorted(claims, key=lambda c: (c["code"], c["status"] not in ACTIONABLE, str(truth_key(c))))
    for claim in ordered:
        code, key = claim["code"], truth_key(claim)
        acc = report.detectors[code]
        acc.planted += 1
        actionable = claim["status"] in ACTIONABLE
        acc.planted_actionable += actionable
        candidates = [i for i in by_key.get((code, key), []) if i not in used]
        if not candidates:
            acc.missed += 1
            report.mismatches.append(Mismatch(code, "missed", key, claim.get("variant"),
                                              expected=_describe_claim(claim)))
            continue
        same = [i for i in candidates if rows[i]["status"] == claim["status"]]
        i = (same or candidates)[0]
        used[i] = claim
        row = rows[i]
        acc.matched += 1
        if actionable and row["status"] in ACTIONABLE:
            acc.recalled += 1
            acc.true_actionable += 1
        for kind, expected, got in (
            ("status", claim["status"], row["status"]),
            ("units", claim["units"], row["quantity"]),
            ("value", _decimal(claim.get("value")), _decimal(row["amount"])),
        ):
            if expected != got:
                counter = _COUNTER[kind]
                setattr(acc, counter, getattr(acc, counter) + 1)
                report.mismatches.append(Mismatch(code, kind, key, claim.get("variant"), expected=expected, got=got,
                                                  finding_id=row["finding_id"]))
    trap_index = [(t["code"], truth_key(t), t) for t in traps]
    for trap in traps:
        report.detectors[trap["code"]].traps += 1
    for i, row in enumerate(rows):
        if i in used:
            continue
        code, key = row["code"], finding_key(row)
        acc = report.detectors[code]
        trap = next((t for c, k, t in trap_index if c == code
                     and all(want is None or want == have for want, have in zip(k, key))), None)
        got = f"{row['status']}, {row['quantity']} unit(s), amount {row['amount']}"
        if row["status"] in ACTIONABLE:
            acc.false_claims += 1
            if trap is not None:
                acc.trap_hits += 1
            report.mismatches.append(Mismatch(code, "trap" if trap is not None else "false", key,
                                              trap and trap.get("variant"), got=got, finding_id=row["finding_id"]))
        else:
            acc.extra += 1
            report.mismatches.append(Mismatch(code, "extra", key, trap and trap.get("variant"), got=got,
                                              finding_id=row["finding_id"]))
    return report


def _describe_claim(claim: dict) -> str:
    return f"{claim['status']}, {claim['units']} unit(s), value {claim.get('value')}"


# ------------------------------------------------------------------------------------------- Markdown

def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def render_markdown(report: AccuracyReport, *, details: int = 20) -> str:
    """A per-detector table (plus a total row), then up to `details` mismatches described one per line."""
    head = ("| code | planted | traps | found | matched | missed | false claims | traps claimed | extra | "
            "status diff | units diff | value diff | recall | precision |")
    lines = [head, "| --- |" + " ---: |" * 13]
    for row in [*report.detectors.values(), report.total]:
        name = "**all**" if row.code == "all" else row.code
        lines.append(
            f"| {name} | {row.planted} | {row.traps} | {row.found} | {row.matched} | {row.missed} | "
            f"{row.false_claims} | {row.trap_hits} | {row.extra} | {row.status_mismatches} | "
            f"{row.unit_mismatches} | {row.value_mismatches} | {_pct(row.recall)} | {_pct(row.precision)} |"
        )
    if report.mismatches and details:
        lines += ["", f"Disagreements ({len(report.mismatches)}"
                  + (f", first {details}" if len(report.mismatches) > details else "") + "):", ""]
        lines += [f"- {m.describe()}" for m in report.mismatches[:details]]
    return "\n".join(lines) + "\n"


__all__ = ["ACTIONABLE", "KEY_FIELDS", "AccuracyReport", "DetectorAccuracy", "Mismatch", "compare", "finding_key",
           "render_markdown", "truth_key"]
