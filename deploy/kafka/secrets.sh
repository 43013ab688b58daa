# Sourced by start-broker.sh and kafka-init.sh: Docker secrets and the admin's client login.
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}

# read_secret NAME: the secret's text without its trailing newline. Only characters that need
# no quoting in a JAAS line or a kafka-configs argument are accepted (README shows how to make
# such a password).
read_secret() {
  local file="$SECRETS_DIR/$1" value
  if [[ ! -r "$file" ]]; then
    echo "secret $1 is missing: create deploy/secrets/$1.txt (README, Production)" >&2
    return 1
  fi
  value=$(<"$file")
  if [[ ! "$value" =~ ^[A-Za-z0-9_-]{16,}$ ]]; then
    echo "secret $1 must be 16 or more of A-Z a-z 0-9 _ - (README, Production)" >&2
    return 1
  fi
  printf '%s' "$value"
}

# write_admin_client FILE PASSWORD: settings for Kafka's command-line tools to log in as admin.
write_admin_client() {
  cat >"$1" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$2";
EOF
}
