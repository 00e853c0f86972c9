#!/usr/bin/env bash
# The durable data dir's long crash test: a kvserver with --data-dir is kill -9ed at random moments
# while eight clients write, CYCLES times (default 20); after each restart every acknowledged write
# must be there with its revision. The short form (3 cycles) runs in `swift test`.
#   bash scripts/wal-crash-test.sh [CYCLES]
set -euo pipefail
cd "$(dirname "$0")/.."
KV_CRASH_CYCLES="${1:-20}" swift test --filter 'WALCrashTests/killedServersLoseNoAcknowledgedWrite'
