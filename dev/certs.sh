#!/bin/sh
# Local TLS for the compose stack (compose.yaml), like RDS (rds.force_ssl) and ElastiCache (in-transit encryption):
# a throwaway CA and one server certificate for postgres and redis, plus a pg_hba.conf that only admits TLS.
# Runs once in the `certs` service; the volume keeps the files until `docker compose down -v`.
set -eu
out=/certs
if [ -s "$out/server.crt" ]; then
  echo "certificates already exist in $out"
  exit 0
fi
apk add --no-cache openssl >/dev/null
mkdir -p "$out/ca"
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=CloudWeave local CA" \
  -keyout "$out/ca.key" -out "$out/ca/ca.crt"
openssl req -newkey rsa:2048 -nodes -subj "/CN=cloudweave-local" \
  -keyout "$out/server.key" -out "$out/server.csr"
printf 'subjectAltName=DNS:postgres,DNS:redis,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$out/san.ext"
openssl x509 -req -in "$out/server.csr" -CA "$out/ca/ca.crt" -CAkey "$out/ca.key" -CAcreateserial -days 825 \
  -extfile "$out/san.ext" -out "$out/server.crt"
rm -f "$out/server.csr" "$out/san.ext" "$out/ca.key" "$out/ca/ca.srl" "$out/ca.srl"

# Each server reads its own copy of the key: PostgreSQL refuses a key others can read (uid 70 in postgres:alpine),
# Redis runs as uid 999 in redis:alpine.
for server in postgres:70 redis:999; do
  name=${server%%:*}
  uid=${server##*:}
  mkdir -p "$out/$name"
  cp "$out/server.crt" "$out/server.key" "$out/$name/"
  chown -R "$uid:$uid" "$out/$name"
  chmod 600 "$out/$name/server.key"
done
rm -f "$out/server.key"

# PostgreSQL: TLS-only TCP connections with SCRAM passwords, as force_ssl does on RDS.
cat >"$out/postgres/pg_hba.conf" <<'HBA'
local     all  all                trust
hostssl   all  all  0.0.0.0/0     scram-sha-256
hostssl   all  all  ::/0          scram-sha-256
hostnossl all  all  0.0.0.0/0     reject
hostnossl all  all  ::/0          reject
HBA
chown 70:70 "$out/postgres/pg_hba.conf"
chmod 644 "$out/ca/ca.crt"
echo "certificates written to $out"
