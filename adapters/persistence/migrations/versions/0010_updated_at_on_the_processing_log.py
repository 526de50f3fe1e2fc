"""updated_at on inbound and outbound messages (updated_since and sort on the processing log
and the outbox list)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Existing rows: their last change known from the times they hold, so a client following
# updated_since sees each of them once.
_LAST_KNOWN_CHANGE = {
    'inbound_message': 'COALESCE(processed_at, received_at)',
    'outbound_message': 'COALESCE(bounced_at, sent_at, created_at)',
}


def upgrade() -> None:
    for table, last_change in _LAST_KNOWN_CHANGE.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('updated_at', UTCDateTime(), nullable=True))
        op.execute(f'UPDATE {table} SET updated_at = {last_change}')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('updated_at', existing_type=UTCDateTime(), nullable=False)
            batch_op.create_index(f'ix_{table}_updated_at_id', ['updated_at', 'id'], unique=False)


def downgrade() -> None:
    for table in _LAST_KNOWN_CHANGE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_updated_at_id')
            batch_op.drop_column('updated_at')
