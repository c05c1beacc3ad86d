"""The ledger's tables, in SQLAlchemy Core: one definition for SQLite and PostgreSQL.

The migrations under `migrations/versions/` create and change these tables; this module is what the code reads and
writes through. A test compares the two (a migrated database has exactly these tables and columns), so they cannot
drift apart.

Money is `Numeric(18, 2)` and comes back as `Decimal` on both databases; dates are dates, times are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

MONEY = Numeric(18, 2, asdecimal=True)

metadata = MetaData()

# One row per `fba-audit run` recorded.
runs = Table(
    "runs", metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("marketplace", String(8), nullable=False),
    Column("version", String(40), nullable=False),
    Column("detectors_ran", Text, nullable=False),  # comma-separated codes: what this run could see
    Column("findings", Integer, nullable=False),
    Column("out_dir", Text),  # added by migration 0002
)

# The input files of a run and their content hashes: which downloads a month's figures came from.
run_inputs = Table(
    "run_inputs", metadata,
    Column("run_id", Integer, ForeignKey("runs.run_id"), primary_key=True),
    Column("file", Text, primary_key=True),
    Column("kind", String(60)),
    Column("sha256", String(64), nullable=False),
    Column("bytes", Integer, nullable=False),
)

# Every finding any run reported, by its stable id. `resolution` says why a finding is closed.
findings = Table(
    "findings", metadata,
    Column("finding_id", String(400), primary_key=True),
    Column("code", String(8), nullable=False),
    Column("marketplace", String(8), nullable=False),
    Column("currency", String(3)),
    Column("sku", Text),
    Column("fnsku", String(20)),
    Column("asin", String(20)),
    Column("order_id", String(40)),
    Column("shipment_id", String(40)),
    Column("reference_id", Text),
    Column("event_date", Date),
    Column("first_seen", Date, nullable=False),
    Column("first_run_id", Integer, ForeignKey("runs.run_id"), nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("last_run_id", Integer, ForeignKey("runs.run_id"), nullable=False),
    Column("last_status", String(12), nullable=False),
    Column("last_amount", MONEY),
    Column("resolution", String(24)),  # paid | paid_by_amazon | evidence_changed, null while open
    Column("resolved_on", Date),
    Column("resolved_run_id", Integer, ForeignKey("runs.run_id")),
)
Index("findings_fnsku", findings.c.fnsku)
Index("findings_order_id", findings.c.order_id)

# Status and amount of a finding in each run that reported it.
finding_runs = Table(
    "finding_runs", metadata,
    Column("run_id", Integer, ForeignKey("runs.run_id"), primary_key=True),
    Column("finding_id", String(400), ForeignKey("findings.finding_id"), primary_key=True),
    Column("status", String(12), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount", MONEY),
)

# A claim filed with Amazon (or decided against). `case_id` is Amazon's; a case staff filed without noting the id
# yet has none. `outcome` is what staff said; `state` is what the ledger concludes from it and from Amazon's payments.
cases = Table(
    "cases", metadata,
    Column("case_pk", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(11), unique=True),
    Column("filed_on", Date),
    Column("outcome", String(12), nullable=False),  # filed | reimbursed | denied | not filing
    Column("outcome_on", Date),
    Column("state", String(12), nullable=False),  # filed | paid | partly paid | reversed | denied | not filing
    Column("claimed", MONEY),
    Column("reimbursed", MONEY),
    Column("currency", String(3)),
    Column("reimbursed_on", Date),
    Column("notes", Text),
)

# Which findings a case covers; a finding is in at most one case.
case_findings = Table(
    "case_findings", metadata,
    Column("case_pk", Integer, ForeignKey("cases.case_pk"), nullable=False),
    Column("finding_id", String(400), ForeignKey("findings.finding_id"), primary_key=True),
)
Index("case_findings_case", case_findings.c.case_pk)

# Every reimbursement line seen (Reimbursements report, or a settlement reimbursement line the report lacks), and
# what it was matched to. `line_key` makes a line that comes again next month the same row.
reimbursements = Table(
    "reimbursements", metadata,
    Column("line_key", String(64), primary_key=True),
    Column("source", String(12), nullable=False),  # report | settlement
    Column("reimbursement_id", String(40), nullable=False),
    Column("approval_date", Date, nullable=False),
    Column("case_id", String(20)),
    Column("order_id", String(40)),
    Column("shipment_id", String(40)),
    Column("sku", Text),
    Column("fnsku", String(20)),
    Column("reason", String(60)),
    Column("amount", MONEY, nullable=False),
    Column("currency", String(3)),
    Column("quantity", Integer),
    Column("original_reimbursement_id", String(40)),
    Column("first_run_id", Integer, ForeignKey("runs.run_id"), nullable=False),
    Column("case_pk", Integer, ForeignKey("cases.case_pk")),
    Column("finding_id", String(400), ForeignKey("findings.finding_id")),
    Column("matched_by", String(20)),  # case-id | reversal | order id | shipment id | fnsku and date | sku and date
)
Index("reimbursements_case", reimbursements.c.case_pk)

# Append-only: every change, and who or what made it.
events = Table(
    "events", metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(16), nullable=False),  # run | workbook | command | claimed-list
    Column("source", Text, nullable=False),  # run id, workbook path, command line
    Column("subject", String(16), nullable=False),  # run | finding | case | reimbursement
    Column("subject_id", String(400), nullable=False),
    Column("action", String(40), nullable=False),
    Column("detail", Text, nullable=False),  # JSON
)
Index("events_subject", events.c.subject, events.c.subject_id)
