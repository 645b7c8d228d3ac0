"""The tables of slack_sdk's SQLAlchemy OAuth stores (installations, bots, OAuth states) in Accord's schema.

They are built with slack_sdk's own table builders, so the migrations are checked against exactly what the
stores read and write (tests/storage/test_engine.py): a slack_sdk upgrade that changes a table shows up there
as a difference, not as a failing install in production. Migration 0006 creates them; nothing calls
`create_tables()` at run time.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlmodel import SQLModel

INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
BOTS = SQLAlchemyInstallationStore.default_bots_table_name
OAUTH_STATES = SQLAlchemyOAuthStateStore.default_table_name
TABLES = (INSTALLATIONS, BOTS, OAUTH_STATES)

installations = SQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, INSTALLATIONS)
bots = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, BOTS)
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(SQLModel.metadata, OAUTH_STATES)
