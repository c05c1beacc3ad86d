"""The claim ledger: findings, cases and Amazon's payments across runs (see docs/ledger.md).

`fba_audit.ledger.view` holds the plain values the writers show; the database code (SQLAlchemy, Alembic) is in
`fba_audit.ledger.store` and is imported only when a ledger is opened, so writing outputs never pays for it.
"""

from __future__ import annotations

from fba_audit.ledger.view import CaseInfo, FollowUp, LedgerView, StaffEntry

# The URL schemes `--ledger` and $FBA_AUDIT_LEDGER take for PostgreSQL (anything else is a SQLite file).
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_postgres_url(target: str) -> bool:
    return target.startswith(POSTGRES_SCHEMES)


_STORE_NAMES = ("ENV_VAR", "Ledger", "LedgerBusy", "LedgerError", "default_location", "hash_inputs", "open_ledger",
                "resolve")


def __getattr__(name: str) -> object:
    if name in _STORE_NAMES:
        from fba_audit.ledger import store

        return getattr(store, name)
    raise AttributeError(name)


__all__ = ["POSTGRES_SCHEMES", "CaseInfo", "FollowUp", "LedgerView", "StaffEntry", "is_postgres_url",
           *_STORE_NAMES]
