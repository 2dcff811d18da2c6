#!/bin/sh
# Writes the secrets compose mounts (deploy/secrets/, one file each) and keeps any that
# already exist: run it once, then replace the channels' placeholders with what Meta, X and
# the SP4N-LAPOR! connector gave the office. Keep deploy/secrets/ out of git and backed up.
#
#   deploy/make-secrets.sh [DATABASE_HOST]      # DATABASE_HOST: default `postgres` (compose)
#
# For Kubernetes, the same files make the Secret (keys in capitals):
#   kubectl create secret generic slrt-secrets $(for f in deploy/secrets/*; do \
#     echo "--from-file=$(basename "$f" | tr a-z A-Z)=$f"; done)
# (Kafka's: kafka_password_<name> as KAFKA_SASL_PASSWORD_<NAME>, with
#  KAFKA_SASL_USERNAME_<NAME>=slrt-<name>; see k8s/secret.example.yaml.)
set -eu
host="${1:-postgres}"
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

key() { openssl rand -hex 32; }   # 64 characters: above the 32-byte minimum
put() {  # put NAME VALUE: only when the file does not exist yet
  [ -e "$dir/$1" ] || printf '%s' "$2" > "$dir/$1"   # no newline: also read as a variable
}

put postgres_password "$(key)"
put slrt_admin_database_url "postgresql://slrt_admin:$(cat "$dir/postgres_password")@$host:5432/slrt"
for service in intake eligibility documents casework notifications dashboard; do
  put "database_url_$service" "postgresql://slrt_$service:$(key)@$host:5432/slrt"
done

# Kafka: one SCRAM user per process (deploy/k8s/kafka-acls.sh makes them in the broker).
for name in intake eligibility documents casework notifications dashboard topics; do
  put "kafka_password_$name" "$(key)"
done

if [ ! -e "$dir/slrt_jwt_private_key" ]; then
  openssl genpkey -algorithm ed25519 -out "$dir/slrt_jwt_private_key"
  openssl pkey -in "$dir/slrt_jwt_private_key" -pubout -out "$dir/slrt_jwt_public_key"
fi

for name in slrt_internal_api_key slrt_audit_key slrt_letter_link_secret slrt_check_code_secret \
            slrt_survey_link_secret slrt_meta_verify_token slrt_data_kek slrt_blind_index_key \
            slrt_analytics_pepper slrt_analyst_password; do
  put "$name" "$(key)"
done
# Placeholders until the office has its channel apps: random, so nothing verifies with them.
for name in slrt_meta_app_secret slrt_twitter_consumer_secret slrt_lapor_secret; do
  put "$name" "$(key)"
done
put slrt_whatsapp_token ""
put slrt_channels "{}"
put slrt_staff_emails "{}"
echo "secrets in $dir"
