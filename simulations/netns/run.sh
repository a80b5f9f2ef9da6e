#!/usr/bin/env bash
# Multi-host mode: every node is its own process in its own Linux network namespace.
#
#   sudo simulations/netns/run.sh [scenario (default netns)] [seed] [out dir]
#
# Topology: a hub namespace holds a bridge; namespace wrsim-r (relay, 10.77.0.1) and wrsim-<i>
# (user i, 10.77.0.<i+2>) each have a veth pair to it. On every node's side of its veth, tc netem
# adds the scenario's network.latencyMs ± jitterMs and loss — so one hop user→user crosses two
# shaped links (each direction sees 2 × latency). Needs root, `ip` and `tc`; anything missing → a
# clear message and exit 0 (skipped), so it can sit in CI on machines without root. Where the
# kernel has no netem (sch_netem) the links run unshaped, with a warning and netem 0/0/0 in
# summary.json; WREN_NETNS_REQUIRE_NETEM=1 makes that a skip instead.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
NODE="$ROOT/node_modules/.bin/node"
SCENARIO=${1:-netns}
SEED=${2:-}
PREFIX=wrsim
HUB=${PREFIX}-hub

skip() { echo "netns simulation skipped: $*"; exit 0; }
[ "$(id -u)" = "0" ] || skip "needs root (ip netns, tc)"
command -v ip >/dev/null || skip "the ip command (iproute2) is missing"
command -v tc >/dev/null || skip "the tc command (iproute2) is missing"
ip netns add ${PREFIX}-probe 2>/dev/null || skip "ip netns add is not permitted here"
NETEM=1
if ! ip netns exec ${PREFIX}-probe tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
  NETEM=0
  echo "netns: WARNING tc netem is not available in this kernel (sch_netem): links run UNSHAPED"
  [ "${WREN_NETNS_REQUIRE_NETEM:-0}" = "1" ] && { ip netns del ${PREFIX}-probe; skip "netem required"; }
fi
ip netns del ${PREFIX}-probe

read -r USERS LAT JIT LOSS DEFSEED DURATION DRAIN < <("$NODE" -e "
  import('$ROOT/simulations/src/scenario.ts').then(async ({ loadScenario }) => {
    const s = await loadScenario(process.argv[1])
    console.log(s.users.count, s.network.latencyMs, s.network.jitterMs, s.network.loss, s.seed, s.durationMs, s.drainMs)
  })" "$SCENARIO")
SEED=${SEED:-$DEFSEED}
OUT=${3:-$ROOT/simulations/out/netns-$SCENARIO-$SEED}
SHARED=$(mktemp -d /tmp/wren-netns-XXXXXX)
PIDS=()

cleanup() {
  touch "$SHARED/done" 2>/dev/null || true
  sleep 2
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in $(ip netns list | awk '{print $1}' | grep "^${PREFIX}-"); do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$SHARED"
}
trap cleanup EXIT

if [ "$NETEM" = "0" ]; then LAT=0; JIT=0; LOSS=0; fi
LOSS_PCT=$("$NODE" -e "console.log((Number(process.argv[1]) * 100).toFixed(3))" "$LOSS")
ip netns add "$HUB"
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up

# attach <namespace> <ip> <veth suffix>
attach() {
  local ns=$1 addr=$2 id=$3
  ip netns add "$ns"
  ip link add "v${id}n" type veth peer name "v${id}h"
  ip link set "v${id}n" netns "$ns"
  ip link set "v${id}h" netns "$HUB"
  ip -n "$HUB" link set "v${id}h" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "v${id}n" name eth0
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  if [ "$NETEM" = "1" ] && { [ "$LAT" != "0" ] || [ "$LOSS" != "0" ]; }; then
    ip netns exec "$ns" tc qdisc add dev eth0 root netem delay "${LAT}ms" "${JIT}ms" loss "${LOSS_PCT}%"
  fi
}

attach "${PREFIX}-r" 10.77.0.1 r
ip netns exec "${PREFIX}-r" "$NODE" simulations/netns/agent.ts "$SHARED" "$SCENARIO" "$SEED" relay 10.77.0.1 \
  2>"$SHARED/relay.log" &
PIDS+=($!)
for ((i = 0; i < USERS; i++)); do
  attach "${PREFIX}-$i" "10.77.0.$((i + 2))" "$i"
  ip netns exec "${PREFIX}-$i" "$NODE" simulations/netns/agent.ts "$SHARED" "$SCENARIO" "$SEED" user "$i" \
    "10.77.0.$((i + 2))" 2>"$SHARED/user-$i.log" &
  PIDS+=($!)
done
echo "netns: $USERS users + 1 relay in namespaces, netem ${LAT}ms ±${JIT}ms loss ${LOSS_PCT}%, seed $SEED"

for ((i = 0; i < USERS; i++)); do
  for ((t = 0; t < 1200; t++)); do [ -e "$SHARED/ready-$i" ] && break; sleep 0.1; done
  [ -e "$SHARED/ready-$i" ] || { echo "user $i never got ready:"; tail -5 "$SHARED/user-$i.log"; exit 1; }
done
echo "{\"t0\": $(($(date +%s%3N) + 1000))}" >"$SHARED/go.json"
echo "netns: all users ready; running the schedule (${DURATION} ms + ${DRAIN} ms drain)"

for ((i = 0; i < USERS; i++)); do
  for ((t = 0; t < 3000; t++)); do [ -e "$SHARED/result-$i.json" ] && break; sleep 0.1; done
  [ -e "$SHARED/result-$i.json" ] || { echo "user $i wrote no result:"; tail -5 "$SHARED/user-$i.log"; exit 1; }
done
"$NODE" simulations/netns/aggregate.ts "$SHARED" "$SCENARIO" "$SEED" "$LAT" "$JIT" "$LOSS" "$NETEM"
mkdir -p "$OUT"
cp "$SHARED"/summary.json "$SHARED"/result-*.json "$OUT"/
echo "netns: wrote $OUT/summary.json"
