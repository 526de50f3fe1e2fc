"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from adapters.persistence.types import UTCDateTime

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email2', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email2_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('account_number', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_account_number'), ['account_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_email2_key'), ['email2_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_email_key'), ['email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_external_id'), ['external_id'], unique=False)

    op.create_table('connector_setting',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('dedupe_key',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('inbound_message_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('employee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email1', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email2', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email1_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email2_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employee_email1_key'), ['email1_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_employee_email2_key'), ['email2_key'], unique=False)

    op.create_table('replay_token',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('replay_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replay_token_expires_at'), ['expires_at'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_email_key'), ['email_key'], unique=False)

    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_status'), ['status'], unique=False)

    op.create_table('inbound_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('from_address', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('to_addresses', sa.JSON(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('envelope_from', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('envelope_to', sa.JSON(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('provider_event_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('spam_score', sa.Float(), nullable=True),
    sa.Column('spam_verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('lease_expires_at', UTCDateTime(), nullable=True),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('processed_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_message_outcome'), ['outcome'], unique=False)
        batch_op.create_index('ix_inbound_message_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_message_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('inbound_message_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Text(), nullable=True),
    sa.Column('from_address', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('to_addresses', sa.JSON(), nullable=False),
    sa.Column('cc_addresses', sa.JSON(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('date', UTCDateTime(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('reply_text', sa.Text(), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_message.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_inbound_message_id'), ['inbound_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('outbound_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('purpose_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('inbound_message_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('mail_from', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('to_addresses', sa.JSON(), nullable=False),
    sa.Column('bcc_addresses', sa.JSON(), nullable=False),
    sa.Column('recipient_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('attach_original', sa.Boolean(), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
    sa.Column('lease_expires_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('sent_at', UTCDateTime(), nullable=True),
    sa.Column('bounced_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_message.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id'),
    sa.UniqueConstraint('purpose_key')
    )
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_message_inbound_message_id'), ['inbound_message_id'], unique=False)
        batch_op.create_index('ix_outbound_message_recipient', ['recipient_key', 'kind', 'created_at'], unique=False)
        batch_op.create_index('ix_outbound_message_status_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('raw_message',
    sa.Column('inbound_message_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_message.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inbound_message_id')
    )
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('inline', sa.Boolean(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_document_id'), ['document_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_document_id'))

    op.drop_table('attachment')
    op.drop_table('raw_message')
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_message_status_due')
        batch_op.drop_index('ix_outbound_message_recipient')
        batch_op.drop_index(batch_op.f('ix_outbound_message_inbound_message_id'))

    op.drop_table('outbound_message')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_document_inbound_message_id'))

    op.drop_table('document')
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_message_ticket_id'))
        batch_op.drop_index('ix_inbound_message_status_id')
        batch_op.drop_index(batch_op.f('ix_inbound_message_outcome'))

    op.drop_table('inbound_message')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_status'))
        batch_op.drop_index(batch_op.f('ix_ticket_account_id'))

    op.drop_table('ticket')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_email_key'))
        batch_op.drop_index(batch_op.f('ix_contact_account_id'))

    op.drop_table('contact')
    with op.batch_alter_table('replay_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replay_token_expires_at'))

    op.drop_table('replay_token')
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employee_email2_key'))
        batch_op.drop_index(batch_op.f('ix_employee_email1_key'))

    op.drop_table('employee')
    op.drop_table('dedupe_key')
    op.drop_table('connector_setting')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_external_id'))
        batch_op.drop_index(batch_op.f('ix_account_email_key'))
        batch_op.drop_index(batch_op.f('ix_account_email2_key'))
        batch_op.drop_index(batch_op.f('ix_account_account_number'))

    op.drop_table('account')
