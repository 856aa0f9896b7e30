"""The first schema: queue, windows, appointments, cases, ratings, alerts.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 01:54:55.833346
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('raised_at', sa.Double(), nullable=False),
    sa.Column('last_at', sa.Double(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('acked_at', sa.Double(), nullable=True),
    sa.Column('acked_by', sa.String(length=64), nullable=True),
    sa.Column('cleared_at', sa.Double(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_alerts_kind_key'))
    )
    op.create_table('applied_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('op', sa.String(length=32), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_applied_events'))
    )
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=True),
    sa.Column('citizen_key', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('slot_start', sa.Double(), nullable=False),
    sa.Column('slot_end', sa.Double(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('booked_at', sa.Double(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('code', name=op.f('uq_appointments_code'))
    )
    op.create_index(op.f('ix_appointments_category_slot_start'), 'appointments', ['category', 'slot_start'])
    op.create_index(op.f('ix_appointments_citizen_key_day'), 'appointments', ['citizen_key', 'day'])
    op.create_table('counters',
    sa.Column('series', sa.String(length=16), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', 'day', name=op.f('pk_counters'))
    )
    op.create_table('slots',
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('slot_start', sa.Double(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'slot_start', name=op.f('pk_slots'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('series', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.SmallInteger(), nullable=False),
    sa.Column('sort_at', sa.Double(), nullable=False),
    sa.Column('issued_at', sa.Double(), nullable=False),
    sa.Column('state_at', sa.Double(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=32), nullable=True),
    sa.Column('item_code', sa.String(length=64), nullable=True),
    sa.Column('terminal', sa.String(length=64), nullable=True),
    sa.Column('citizen_key', sa.String(length=64), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('window', sa.String(length=32), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('recalls', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('day', 'series', 'seq', name=op.f('uq_tickets_day_series_seq'))
    )
    op.create_index(op.f('ix_tickets_day_state_category_tier_sort_at_id'), 'tickets', ['day', 'state', 'category', 'tier', 'sort_at', 'id'])
    op.create_table('windows',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('pause_reason', sa.String(length=200), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('since', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_windows'))
    )
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('window', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_announcements_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    op.create_index(op.f('ix_announcements_category_id'), 'announcements', ['category', 'id'])
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=True),
    sa.Column('window', sa.String(length=32), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('called_at', sa.Double(), nullable=False),
    sa.Column('started_at', sa.Double(), nullable=True),
    sa.Column('ended_at', sa.Double(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('hour', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_services_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    op.create_index(op.f('ix_services_category_outcome_hour_id'), 'services', ['category', 'outcome', 'hour', 'id'])
    op.create_index(op.f('ix_services_ticket_id'), 'services', ['ticket_id'])
    op.create_index(op.f('ix_services_window'), 'services', ['window'])
    op.create_table('transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.Column('window', sa.String(length=32), nullable=True),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_transitions_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transitions'))
    )
    op.create_index(op.f('ix_transitions_ticket_id'), 'transitions', ['ticket_id'])
    op.create_table('window_categories',
    sa.Column('window', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['window'], ['windows.code'], name=op.f('fk_window_categories_window_windows')),
    sa.PrimaryKeyConstraint('window', 'category', name=op.f('pk_window_categories'))
    )
    op.create_index(op.f('ix_window_categories_category'), 'window_categories', ['category'])
    op.create_table('window_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=False),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['window'], ['windows.code'], name=op.f('fk_window_log_window_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_log'))
    )
    op.create_index(op.f('ix_window_log_window'), 'window_log', ['window'])
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=24), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('citizen_key', sa.String(length=64), nullable=True),
    sa.Column('item_code', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('window', sa.String(length=32), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_cases_service_id_services')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_cases_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('case_no', name=op.f('uq_cases_case_no')),
    sa.UniqueConstraint('service_id', name=op.f('uq_cases_service_id'))
    )
    op.create_index(op.f('ix_cases_citizen_key'), 'cases', ['citizen_key'])
    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('ticket_number', sa.String(length=8), nullable=False),
    sa.Column('case_no', sa.String(length=24), nullable=True),
    sa.Column('item_code', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('window', sa.String(length=32), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('citizen_key', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('dimensions', sa.Text(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.Column('void', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_ratings_service_id_services')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ratings_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('service_id', name=op.f('uq_ratings_service_id'))
    )
    op.create_table('case_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_steps_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_steps'))
    )
    op.create_index(op.f('ix_case_steps_case_id'), 'case_steps', ['case_id'])
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('deadline', sa.Double(), nullable=False),
    sa.Column('opened_at', sa.Double(), nullable=False),
    sa.Column('closed_at', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_follow_ups_rating_id_ratings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('rating_id', name=op.f('uq_follow_ups_rating_id'))
    )
    op.create_table('follow_up_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_follow_up_steps_follow_up_id_follow_ups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_steps'))
    )
    op.create_index(op.f('ix_follow_up_steps_follow_up_id'), 'follow_up_steps', ['follow_up_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_follow_up_steps_follow_up_id'), table_name='follow_up_steps')
    op.drop_table('follow_up_steps')
    op.drop_table('follow_ups')
    op.drop_index(op.f('ix_case_steps_case_id'), table_name='case_steps')
    op.drop_table('case_steps')
    op.drop_table('ratings')
    op.drop_index(op.f('ix_cases_citizen_key'), table_name='cases')
    op.drop_table('cases')
    op.drop_index(op.f('ix_window_log_window'), table_name='window_log')
    op.drop_table('window_log')
    op.drop_index(op.f('ix_window_categories_category'), table_name='window_categories')
    op.drop_table('window_categories')
    op.drop_index(op.f('ix_transitions_ticket_id'), table_name='transitions')
    op.drop_table('transitions')
    op.drop_index(op.f('ix_services_window'), table_name='services')
    op.drop_index(op.f('ix_services_ticket_id'), table_name='services')
    op.drop_index(op.f('ix_services_category_outcome_hour_id'), table_name='services')
    op.drop_table('services')
    op.drop_index(op.f('ix_announcements_category_id'), table_name='announcements')
    op.drop_table('announcements')
    op.drop_table('windows')
    op.drop_index(op.f('ix_tickets_day_state_category_tier_sort_at_id'), table_name='tickets')
    op.drop_table('tickets')
    op.drop_table('slots')
    op.drop_table('counters')
    op.drop_index(op.f('ix_appointments_citizen_key_day'), table_name='appointments')
    op.drop_index(op.f('ix_appointments_category_slot_start'), table_name='appointments')
    op.drop_table('appointments')
    op.drop_table('applied_events')
    op.drop_table('alerts')
