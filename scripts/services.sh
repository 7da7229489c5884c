#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis that the tests use (127.0.0.1:5432 and :6379) are running,
# and that Debian's chromium and espeak-ng (the browser tests) and nginx and openssl (tests/e2e/test_behind_nginx.py) are installed.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
if [ ! -x /usr/bin/chromium ] || ! command -v espeak-ng >/dev/null 2>&1; then
  echo "installing Debian's chromium (the browser tests) and espeak-ng (the spoken sentence the call test plays)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core espeak-ng >/dev/null
fi
# nginx lives in /usr/sbin, which is not on every user's PATH.
if { ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; } || ! command -v openssl >/dev/null 2>&1; then
  echo "installing Debian's nginx-light and openssl for the reverse-proxy test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nginx-light openssl >/dev/null
fi
