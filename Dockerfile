# loka-stratum image: `docker build -t loka-stratum:latest .` (deploy/docker-compose.yml builds it too).
# Two stages so the runtime image carries the installed virtualenv and nothing used to build it.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/loka-stratum \
    && /opt/loka-stratum/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/loka-stratum/bin/pip install --no-cache-dir .

FROM python:3.11-slim
# A fixed uid/gid (10001) so host directories (bind-mounted logs) and Kubernetes
# securityContext can name the same user.
RUN groupadd --system --gid 10001 loka \
    && useradd --system --uid 10001 --gid loka --home-dir /var/lib/loka-stratum \
        --shell /usr/sbin/nologin loka \
    && install -d -o loka -g loka -m 0750 /var/lib/loka-stratum /var/log/loka-stratum \
    && install -d -m 0755 /etc/loka-stratum
COPY --from=build /opt/loka-stratum /opt/loka-stratum
COPY deploy/config/loka-stratum.toml /etc/loka-stratum/loka-stratum.toml
# LOKA_CONFIG lets `docker-compose exec loka-stratum loka-stratum status` (and config show)
# find the same file as the server.
ENV PATH=/opt/loka-stratum/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOKA_CONFIG=/etc/loka-stratum/loka-stratum.toml
WORKDIR /var/lib/loka-stratum
USER loka
# 3333-3337 stratum, 8080 public API and dashboard, 9090 health and metrics (internal).
EXPOSE 3333 3334 3335 3336 3337 8080 9090
STOPSIGNAL SIGTERM
# /health answers 503 when a service the pool needs is down: Docker then reports "unhealthy".
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9090/health', timeout=4)"]
CMD ["loka-stratum", "start", "--config", "/etc/loka-stratum/loka-stratum.toml"]
