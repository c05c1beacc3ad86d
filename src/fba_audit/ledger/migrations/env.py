"""Alembic's entry point: the ledger always hands over its own open connection (see fba_audit.ledger.store)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
