"""bounces and forward limits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from adapters.persistence.types import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('undeliverable_address',
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('until', UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('outbound_message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('address')
    )
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index('ix_outbound_message_origin', ['origin_key', 'kind', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_message_origin')
        batch_op.drop_column('origin_key')

    op.drop_table('undeliverable_address')
