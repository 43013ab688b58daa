#!/usr/bin/env bash
# One-shot job (docker-compose.yml, service "kafka-init"), as the admin super user: every
# principal named in acls.txt gets its SCRAM login, with the password of the Docker secret
# kafka_<principal>_password, and the ACLs listed there. Safe to run again: a login is reset to
# its secret's password and an ACL that exists is left as it is. An ACL removed from acls.txt
# is not revoked by this script: remove it with kafka-acls.sh --remove (README, Production).
set -euo pipefail
umask 077
HERE=$(dirname "$0")
BIN=${KAFKA_BIN:-/opt/kafka/bin}
BOOTSTRAP=${KAFKA_BOOTSTRAP:-kafka:9092}
ACLS="$HERE/acls.txt"
. "$HERE/secrets.sh"

admin_client=$(mktemp)
trap 'rm -f "$admin_client"' EXIT
write_admin_client "$admin_client" "$(read_secret kafka_admin_password)"
kafka() { "$BIN/$1" --bootstrap-server "$BOOTSTRAP" --command-config "$admin_client" "${@:2}" </dev/null; }

# Lines of acls.txt: principal operation resource pattern name; '#' starts a comment.
entries=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ACLS")

# Every password first: a missing one stops the job before it changes anything.
declare -A passwords
for principal in $(awk '{ print $1 }' <<<"$entries" | sort -u); do
  passwords[$principal]=$(read_secret "kafka_${principal}_password")
done

for principal in "${!passwords[@]}"; do
  echo "login User:$principal"
  kafka kafka-configs.sh --alter --entity-type users --entity-name "$principal" \
    --add-config "SCRAM-SHA-512=[password=${passwords[$principal]}]"
done

while read -r principal operation resource pattern name; do
  echo "allow User:$principal $operation on $resource $name ($pattern)"
  kafka kafka-acls.sh --add --allow-principal "User:$principal" --operation "$operation" \
    "--$resource" "$name" --resource-pattern-type "$pattern"
done <<<"$entries"

kafka kafka-acls.sh --list
