# syntax=docker/dockerfile:1
# copydesk worker image. Build: docker build -t copydesk .   Run: docker compose up
#
# Two stages: `build` turns the project and its dependencies into wheels (with a compiler at
# hand for any dependency without a wheel for this platform); the runtime stage installs only
# those wheels, as a non-root user, with no compiler and no pip cache.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# Dependencies first, from the lock file alone (the versions and hashes `make test` installs):
# this layer is rebuilt only when they change.
COPY requirements.lock ./
RUN pip wheel --wheel-dir /wheels --require-hashes --no-deps -r requirements.lock

# Then the project itself (.dockerignore keeps .venv, var, .git and caches out of the context).
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels .


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COPYDESK_DATA_DIR=/var/lib/copydesk

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels copydesk \
    && groupadd --system --gid 10001 copydesk \
    && useradd --system --uid 10001 --gid copydesk --home-dir /home/copydesk --create-home \
        --shell /usr/sbin/nologin copydesk \
    && mkdir -p /var/lib/copydesk \
    && chown copydesk:copydesk /var/lib/copydesk

USER copydesk:copydesk
WORKDIR /home/copydesk

# faust's table stores (RocksDB) live here; a volume keeps them across restarts.
VOLUME ["/var/lib/copydesk"]
# 9108: Prometheus /metrics (COPYDESK_METRICS_PORT); 6066: faust web, /healthz and /readyz
# (COPYDESK_WEB_PORT). Both bind 127.0.0.1 unless COPYDESK_METRICS_HOST / COPYDESK_WEB_HOST
# say otherwise (docker-compose.yml sets 0.0.0.0).
EXPOSE 9108 6066

ENTRYPOINT ["copydesk"]
CMD ["worker"]
