"""Capacity building: needs found in review and the assistance countries ask for, the register of
activities matched to them, the 24/7 points of contact with their tests and history, service
providers' liaison points, and each cycle's target maturity stages.

Revision ID: a162cd0b38af
Revises: 9f9336c65cdd
Create Date: 2026-12-18 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.core.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a162cd0b38af'
down_revision = '9f9336c65cdd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_networks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('interval_months', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_networks')),
    sa.UniqueConstraint('key', name=op.f('uq_contact_networks_key'))
    )
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('donor', sa.String(length=200), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('format', sa.String(length=30), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('institutions', sa.Text(), nullable=True),
    sa.Column('audiences', sa.JSON(), nullable=False),
    sa.Column('participants_women', sa.Integer(), nullable=True),
    sa.Column('participants_men', sa.Integer(), nullable=True),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.Column('outputs', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('planned', 'in_delivery', 'delivered', 'cancelled', name='activity_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activities_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    op.create_table('contact_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_contact_revisions_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_revisions'))
    )
    with op.batch_alter_table('contact_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_revisions_record_id'), ['record_id'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('unit_type', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('secure_channel', sa.String(length=200), nullable=True),
    sa.Column('languages', sa.String(length=200), nullable=True),
    sa.Column('can_preserve', sa.Boolean(), nullable=False),
    sa.Column('can_disclose_in_emergency', sa.Boolean(), nullable=False),
    sa.Column('mla_authority', sa.String(length=300), nullable=True),
    sa.Column('verified_on', sa.Date(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_how', sa.String(length=20), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['country_id'], ['countries.id'], name=op.f('fk_contacts_country_id_countries')),
    sa.ForeignKeyConstraint(['network_id'], ['contact_networks.id'], name=op.f('fk_contacts_network_id_contact_networks')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_contacts_updated_by_id_users')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_contacts_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('country_id', 'network_id', name=op.f('uq_contacts_country_id_network_id'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_country_id'), ['country_id'], unique=False)

    op.create_table('providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('established_in_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=300), nullable=False),
    sa.Column('portal_url', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('request_kinds', sa.JSON(), nullable=False),
    sa.Column('languages', sa.String(length=200), nullable=True),
    sa.Column('emergency_channel', sa.String(length=300), nullable=True),
    sa.Column('interval_months', sa.Integer(), nullable=False),
    sa.Column('verified_on', sa.Date(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_how', sa.String(length=20), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['established_in_id'], ['countries.id'], name=op.f('fk_providers_established_in_id_countries')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_providers_updated_by_id_users')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_providers_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers'))
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_providers_established_in_id'), ['established_in_id'], unique=False)

    op.create_table('activity_countries',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('country_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_countries_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['country_id'], ['countries.id'], name=op.f('fk_activity_countries_country_id_countries')),
    sa.PrimaryKeyConstraint('activity_id', 'country_id', name=op.f('pk_activity_countries'))
    )
    op.create_table('activity_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', UTCDateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_documents_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_activity_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_documents')),
    sa.UniqueConstraint('public_id', name=op.f('uq_activity_documents_public_id'))
    )
    with op.batch_alter_table('activity_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_documents_activity_id'), ['activity_id'], unique=False)

    op.create_table('contact_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('tested_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('response_minutes', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_at', UTCDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_tests_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_contact_tests_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_tests'))
    )
    with op.batch_alter_table('contact_tests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_tests_contact_id'), ['contact_id'], unique=False)

    op.create_table('provider_countries',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('country_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['country_id'], ['countries.id'], name=op.f('fk_provider_countries_country_id_countries')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_countries_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'country_id', name=op.f('pk_provider_countries'))
    )
    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('ref', sa.String(length=60), nullable=False),
    sa.Column('found', sa.String(length=2), nullable=False),
    sa.Column('target_stage', sa.Integer(), nullable=True),
    sa.Column('assistance', sa.JSON(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('identified', 'requested', 'matched', 'in_delivery', 'delivered', 'closed', 'declined', name='need_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('declined_reason', sa.Text(), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_needs_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['country_id'], ['countries.id'], name=op.f('fk_needs_country_id_countries')),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendations.id'], name=op.f('fk_needs_recommendation_id_recommendations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs')),
    sa.UniqueConstraint('assessment_id', 'kind', 'ref', name=op.f('uq_needs_assessment_id_kind_ref'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_country_id'), ['country_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_ref'), ['ref'], unique=False)

    op.create_table('activity_needs',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', UTCDateTime(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_needs_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_activity_needs_linked_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_activity_needs_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', 'need_id', name=op.f('pk_activity_needs'))
    )
    with op.batch_alter_table('activity_needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_needs_need_id'), ['need_id'], unique=False)

    op.create_table('assistance_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('target_institution', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assistance_requests_created_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_assistance_requests_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_requests'))
    )
    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_requests_need_id'), ['need_id'], unique=False)

    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('maturity_targets', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))



def downgrade():
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.drop_column('maturity_targets')

    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_requests_need_id'))

    op.drop_table('assistance_requests')
    with op.batch_alter_table('activity_needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_needs_need_id'))

    op.drop_table('activity_needs')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_ref'))
        batch_op.drop_index(batch_op.f('ix_needs_country_id'))
        batch_op.drop_index(batch_op.f('ix_needs_assessment_id'))

    op.drop_table('needs')
    op.drop_table('provider_countries')
    with op.batch_alter_table('contact_tests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_tests_contact_id'))

    op.drop_table('contact_tests')
    with op.batch_alter_table('activity_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_documents_activity_id'))

    op.drop_table('activity_documents')
    op.drop_table('activity_countries')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_providers_established_in_id'))

    op.drop_table('providers')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_country_id'))

    op.drop_table('contacts')
    with op.batch_alter_table('contact_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_revisions_record_id'))

    op.drop_table('contact_revisions')
    op.drop_table('activities')
    op.drop_table('contact_networks')
