"""The first ledger (fba-audit 0.1): runs, their inputs, findings per run, cases, reimbursement lines, events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2, asdecimal=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("marketplace", sa.String(8), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("detectors_ran", sa.Text, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
    )
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("file", sa.Text, primary_key=True),
        sa.Column("kind", sa.String(60)),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("finding_id", sa.String(400), primary_key=True),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("marketplace", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("sku", sa.Text),
        sa.Column("fnsku", sa.String(20)),
        sa.Column("asin", sa.String(20)),
        sa.Column("order_id", sa.String(40)),
        sa.Column("shipment_id", sa.String(40)),
        sa.Column("reference_id", sa.Text),
        sa.Column("event_date", sa.Date),
        sa.Column("first_seen", sa.Date, nullable=False),
        sa.Column("first_run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("last_seen", sa.Date, nullable=False),
        sa.Column("last_run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("last_status", sa.String(12), nullable=False),
        sa.Column("last_amount", MONEY),
        sa.Column("resolution", sa.String(24)),
        sa.Column("resolved_on", sa.Date),
        sa.Column("resolved_run_id", sa.Integer, sa.ForeignKey("runs.run_id")),
    )
    op.create_index("findings_fnsku", "findings", ["fnsku"])
    op.create_index("findings_order_id", "findings", ["order_id"])
    op.create_table(
        "finding_runs",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("finding_id", sa.String(400), sa.ForeignKey("findings.finding_id"), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("amount", MONEY),
    )
    op.create_table(
        "cases",
        sa.Column("case_pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(11), unique=True),
        sa.Column("filed_on", sa.Date),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("outcome_on", sa.Date),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("claimed", MONEY),
        sa.Column("reimbursed", MONEY),
        sa.Column("currency", sa.String(3)),
        sa.Column("reimbursed_on", sa.Date),
        sa.Column("notes", sa.Text),
    )
    op.create_table(
        "case_findings",
        sa.Column("case_pk", sa.Integer, sa.ForeignKey("cases.case_pk"), nullable=False),
        sa.Column("finding_id", sa.String(400), sa.ForeignKey("findings.finding_id"), primary_key=True),
    )
    op.create_index("case_findings_case", "case_findings", ["case_pk"])
    op.create_table(
        "reimbursements",
        sa.Column("line_key", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("reimbursement_id", sa.String(40), nullable=False),
        sa.Column("approval_date", sa.Date, nullable=False),
        sa.Column("case_id", sa.String(20)),
        sa.Column("order_id", sa.String(40)),
        sa.Column("shipment_id", sa.String(40)),
        sa.Column("sku", sa.Text),
        sa.Column("fnsku", sa.String(20)),
        sa.Column("reason", sa.String(60)),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("quantity", sa.Integer),
        sa.Column("original_reimbursement_id", sa.String(40)),
        sa.Column("first_run_id", sa.Integer, sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("case_pk", sa.Integer, sa.ForeignKey("cases.case_pk")),
        sa.Column("finding_id", sa.String(400), sa.ForeignKey("findings.finding_id")),
        sa.Column("matched_by", sa.String(20)),
    )
    op.create_index("reimbursements_case", "reimbursements", ["case_pk"])
    op.create_table(
        "events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(400), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("events_subject", "events", ["subject", "subject_id"])


def downgrade() -> None:
    for table in ("events", "reimbursements", "case_findings", "cases", "finding_runs", "findings", "run_inputs",
                  "runs"):
        op.drop_table(table)
