"""The models and the migrations describe the same schema: the database the migrations
build (each test's database is a copy of it) differs from the models in no table,
column, type, index, foreign key or nullability (Alembic's autogenerate comparison). A
model changed without its migration, or a migration without its model, fails here."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_the_migrated_schema_is_the_models_schema(appctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
