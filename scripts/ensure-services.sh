#!/usr/bin/env bash
# Make sure what the tests need is there: PostgreSQL running, Debian's chromium installed.
# Fails loudly (exit 1) instead of letting tests skip.
set -euo pipefail

if ! command -v pg_isready >/dev/null; then
  echo "PostgreSQL client tools are missing: install PostgreSQL (apt-get install postgresql)." >&2
  exit 1
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    echo "Starting PostgreSQL $version …"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL is not reachable at 127.0.0.1:5432 and could not be started." >&2
  exit 1
fi

if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  echo "Installing Debian's chromium and fonts-noto-cjk …"
  if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing and installing it needs root (apt-get install chromium fonts-noto-cjk)." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
/usr/bin/chromium --version >/dev/null || { echo "chromium does not start." >&2; exit 1; }
