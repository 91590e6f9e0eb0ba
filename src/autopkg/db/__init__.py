"""Database layer: models, sessions, migrations and repositories."""
