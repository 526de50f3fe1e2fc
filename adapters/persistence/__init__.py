"""Persistence: SQLModel tables, the Directory lookups, the queues and migrations."""
