"""容缺 promises and 帮办 cases (issue 18).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 21:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=24), nullable=False),
    sa.Column('material', sa.String(length=200), nullable=False),
    sa.Column('pledge_signed', sa.Boolean(), nullable=False),
    sa.Column('due', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('promised_at', sa.Double(), nullable=False),
    sa.Column('window', sa.String(length=32), nullable=True),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('fulfilled_at', sa.Double(), nullable=True),
    sa.Column('fulfilled_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promises'))
    )
    op.create_index(op.f('ix_promises_case_no'), 'promises', ['case_no'])
    op.create_table('help_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('terminal', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('asked_at', sa.Double(), nullable=False),
    sa.Column('acknowledged_at', sa.Double(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('helper', sa.String(length=64), nullable=True),
    sa.Column('helper_name', sa.String(length=64), nullable=True),
    sa.Column('arrived_at', sa.Double(), nullable=True),
    sa.Column('closed_at', sa.Double(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=True),
    sa.Column('escalated_at', sa.Double(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_cases')),
    sa.UniqueConstraint('event_id', name=op.f('uq_help_cases_event_id'))
    )
    op.create_index(op.f('ix_help_cases_day'), 'help_cases', ['day'])


def downgrade() -> None:
    op.drop_index(op.f('ix_help_cases_day'), table_name='help_cases')
    op.drop_table('help_cases')
    op.drop_index(op.f('ix_promises_case_no'), table_name='promises')
    op.drop_table('promises')
