"""console_sign_in_failure and console_signed_out: the admin console's limits shared by every
web process

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from adapters.persistence.types import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_sign_in_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_digest', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_console_sign_in_failure_key_digest', 'console_sign_in_failure',
                    ['key_digest'], unique=False)
    op.create_index('ix_console_sign_in_failure_at', 'console_sign_in_failure', ['at'],
                    unique=False)
    op.create_table(
        'console_signed_out',
        sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('until', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('nonce'),
    )
    op.create_index('ix_console_signed_out_until', 'console_signed_out', ['until'], unique=False)


def downgrade() -> None:
    op.drop_table('console_signed_out')
    op.drop_table('console_sign_in_failure')
