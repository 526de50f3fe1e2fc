"""updated_at on contacts and employees (updated_since and sort on their lists); expires_at
on credentials (an API key rotated with a grace period)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from adapters.persistence.types import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_TABLES = ('contact', 'employee')


def upgrade() -> None:
    # Existing rows were last changed at some unknown time no earlier than their creation:
    # created_at is the one time known, so a client following updated_since sees each row once.
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('updated_at', UTCDateTime(), nullable=True))
        op.execute(f'UPDATE {table} SET updated_at = created_at')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('updated_at', existing_type=UTCDateTime(), nullable=False)
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('updated_at')
