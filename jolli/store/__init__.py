"""Persistence: peewee models on SQLite (default) or PostgreSQL, and versioned migrations."""
