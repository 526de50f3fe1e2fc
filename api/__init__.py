"""The service around the domain: api/http (FastAPI), api/application (the use cases) and
api/entrypoints (the processes, and bootstrap.py, the one composition root)."""
