# One image for every Slagkracht process: the three APIs (gunicorn) and their workers.
#   docker build -t slagkracht .
#   docker run --rm slagkracht                      # prints the CLI help
# docker-compose.yml picks the command per container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The event contracts are not part of the installed package; point the code at them.
    SLAGKRACHT_CONTRACTS_DIR=/app/contracts

# Install the project as a regular (non-editable) package, then drop the sources.
COPY pyproject.toml /tmp/src/pyproject.toml
COPY shared /tmp/src/shared
COPY services /tmp/src/services
RUN pip install /tmp/src && rm -rf /tmp/src

WORKDIR /app
COPY contracts /app/contracts

RUN groupadd --system --gid 10001 slagkracht \
    && useradd --system --uid 10001 --gid slagkracht --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin slagkracht
USER slagkracht:slagkracht

EXPOSE 8081 8082 8083
CMD ["slagkracht", "--help"]
