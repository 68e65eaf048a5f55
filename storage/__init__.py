"""Database tables, sessions, repositories, importers and Alembic migrations."""
