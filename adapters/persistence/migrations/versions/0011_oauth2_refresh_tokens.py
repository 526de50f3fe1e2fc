"""oauth2_refresh_token: refresh tokens a token endpoint rotated, kept across restarts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from adapters.persistence.types import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oauth2_refresh_token',
        sa.Column('grant_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('refresh_token', sa.Text(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('grant_key'),
    )


def downgrade() -> None:
    op.drop_table('oauth2_refresh_token')
