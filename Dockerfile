# Email Connector: the web process by default; the worker and the pollers are the same image
# with another command (compose.yaml). Only the runtime dependencies are installed (no [dev]).
# tests/test_container_files.py reads this file: it runs the install and the CMD in a fresh venv.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CONNECTOR_DATA_DIR=/data \
    CONNECTOR_DATABASE_URL=sqlite:////data/connector.db \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000

WORKDIR /app
# The pinned, hash-checked dependencies first (requirements.lock: `make lock`), then the
# project itself without resolving anything again; `pip check` fails a lock that went stale.
COPY requirements.lock pyproject.toml README.md LICENSE ./
COPY domain ./domain
COPY adapters ./adapters
COPY api ./api
RUN pip install --require-hashes -r requirements.lock \
    && pip install --no-deps . \
    && pip check \
    && rm -rf /app/build /app/*.egg-info

# A user of its own, no shell, no home to write to; the data (SQLite, generated credentials,
# backups) lives in /data, a volume, readable by that user only.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin connector \
    && mkdir -m 0700 /data && chown 10001:10001 /data
USER 10001
VOLUME ["/data"]
EXPOSE 8000

# No curl in the slim image: Python asks /healthz (up; /readyz would also wait for the database).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('UVICORN_PORT', '8000')}/healthz\", timeout=4)"]

# Host and port come from UVICORN_HOST / UVICORN_PORT; behind a reverse proxy, set
# FORWARDED_ALLOW_IPS to its address so the X-Forwarded-* headers are believed (README).
CMD ["uvicorn", "--factory", "api.entrypoints.web:create_app", "--no-server-header"]
