"""Storage: the database engine, migrations and transactions (no Textual here)."""
