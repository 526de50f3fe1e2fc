"""Use cases: ingest, processing, delivery and the runtime configuration. They own the
transactions (through Database.writing, the one place that commits)."""
