"""Refused terminal events kept for the control room; tickets named by an unguessable reference.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 19:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refused_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('terminal', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('error', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refused_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_refused_events_event_id'))
    )
    op.create_index(op.f('ix_refused_events_at'), 'refused_events', ['at'])
    with op.batch_alter_table('tickets') as batch:  # SQLite adds a unique column by rebuilding the table
        batch.add_column(sa.Column('ref', sa.String(length=32), nullable=True))
        batch.create_unique_constraint(op.f('uq_tickets_ref'), ['ref'])


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_constraint(op.f('uq_tickets_ref'), type_='unique')
        batch.drop_column('ref')
    op.drop_index(op.f('ix_refused_events_at'), table_name='refused_events')
    op.drop_table('refused_events')
