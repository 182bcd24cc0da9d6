# Forecourt's production image: `docker build -t forecourt .`, then see compose.yaml for the whole topology.
#
# Two stages: the build stage has the compilers some wheels may need and builds the virtual environment; the
# final stage copies only that environment and the project's files, and runs as an unprivileged user.
# The project is installed in editable mode at /app on purpose: the Alembic migrations live beside the package
# (migrations/, alembic.ini), where `forecourt db upgrade` finds them, so /app must be the same path in both
# stages.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --editable . \
    && python -m compileall -q src

FROM ${PYTHON_IMAGE} AS final
LABEL org.opencontainers.image.title="Forecourt" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 forecourt \
    && useradd --system --uid 10001 --gid forecourt --home-dir /app --shell /usr/sbin/nologin forecourt
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
# Writable places only: import reports and the development outbox files (a volume shared by the web processes,
# since any of them may serve a report's download).
# The metrics directory is the container's own (web workers of one container share it; it is wiped at start).
RUN mkdir -p /var/lib/forecourt/import-reports /var/lib/forecourt/outbox /var/cache/forecourt-metrics \
    && chown -R forecourt:forecourt /var/lib/forecourt /var/cache/forecourt-metrics
# compose.yaml's broker-config step writes Mosquitto's files into a volume mounted here, as Mosquitto's user (1883):
# a new named volume takes this directory's owner, so that user may write in it.
RUN mkdir -p /mosquitto/config && chown 1883:1883 /mosquitto/config
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FORECOURT_ENVIRONMENT=production \
    FORECOURT_HOST=0.0.0.0 \
    FORECOURT_PORT=8000 \
    FORECOURT_IMPORT_REPORT_DIR=/var/lib/forecourt/import-reports \
    FORECOURT_OUTBOX_DIR=/var/lib/forecourt/outbox \
    FORECOURT_METRICS_DIR=/var/cache/forecourt-metrics
WORKDIR /app
USER forecourt
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('FORECOURT_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["forecourt"]
CMD ["serve"]
