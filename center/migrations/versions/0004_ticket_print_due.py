"""No ghost tickets: a kiosk's ticket waits for its print to be confirmed (issue 18).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('print_due', sa.Double(), nullable=True))
    op.create_index(op.f('ix_tickets_print_due'), 'tickets', ['print_due'])


def downgrade() -> None:
    op.drop_index(op.f('ix_tickets_print_due'), table_name='tickets')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('print_due')
