#!/usr/bin/env bash
# Starts the production broker (docker-compose.yml, service "kafka") from server.properties
# beside this script, with the logins that carry the admin's password from its Docker secret.
# Secrets go only into files under $RUNTIME (mode 600, inside the container), never into the
# compose file or the image.
set -euo pipefail
umask 077
HERE=$(dirname "$0")
RUNTIME=${RUNTIME_DIR:-/tmp/kafka-runtime}
BIN=${KAFKA_BIN:-/opt/kafka/bin}
. "$HERE/secrets.sh"
: "${CLUSTER_ID:?set CLUSTER_ID}"
admin_password=$(read_secret kafka_admin_password)

mkdir -p "$RUNTIME"
{
  cat "$HERE/server.properties"
  echo
  # The broker's own logins: SCRAM on INTERNAL, and PLAIN on the loopback controller listener,
  # where user_admin is the one account the controller accepts.
  echo "listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$admin_password\";"
  echo "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$admin_password\" user_admin=\"$admin_password\";"
} >"$RUNTIME/server.properties"
# For the healthcheck and an operator's `docker compose exec kafka /opt/kafka/bin/...`.
write_admin_client "$RUNTIME/admin.properties" "$admin_password"

# First start: format the log directory with the admin's SCRAM login in it, so the first login
# exists before any client could create one (KIP-900). Later starts find it formatted and keep
# what is there (then the admin's password changes with kafka-configs, README).
"$BIN/kafka-storage.sh" format --ignore-formatted \
  --cluster-id "$CLUSTER_ID" --config "$RUNTIME/server.properties" \
  --add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]"

exec "$BIN/kafka-server-start.sh" "$RUNTIME/server.properties"
