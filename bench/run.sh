#!/bin/sh
# Prints npusim's performance table (see bench/main.go):
#   bench/run.sh [-n N] [-compare] [-serial] [quick | all | TARGET...]
set -e
cd "$(dirname "$0")/.."
bin="${TMPDIR:-/tmp}/npusim-bench"
go build -o "$bin" ./bench
exec "$bin" "$@"
