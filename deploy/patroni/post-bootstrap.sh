#!/bin/sh
# Patroni's post_bootstrap: runs once, on the member that initialised the
# cluster, with a connection string as $1. Creates the role and database
# ChargeLock uses (its tables come from `chargelock migrate`, which every
# ChargeLock process also runs at start).
set -eu
: "${CHARGELOCK_DB_PASSWORD:?set CHARGELOCK_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 -v pw="$CHARGELOCK_DB_PASSWORD" "$1" <<'SQL'
CREATE ROLE chargelock LOGIN PASSWORD :'pw';
CREATE DATABASE chargelock OWNER chargelock;
SQL
