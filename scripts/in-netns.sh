#!/usr/bin/env bash
# Run a command (the test runner, a benchmark, the demo) in a private network namespace of its own.
#
# Wren's tests and benchmarks run the daemon on the production network settings a user gets:
# listening on every interface, mDNS multicast, WebRTC with public STUN servers. In a namespace
# of their own that all stays on this machine. The namespace looks like a computer with one
# network card on a home LAN: loopback plus `wren0` (10.77.0.1/24, one end of a veth pair whose
# other end leads nowhere), with multicast routed over it so mDNS works between local daemons,
# and no default route, so anything addressed to the internet (STUN) fails at once.
# (WebRTC needs a non-loopback interface: ICE gathers no loopback host candidates.)
# Tests that need other topologies (LAN, NAT) build further namespaces from inside this one.
#
# Needs root (CI runs as root) or unprivileged user namespaces (unshare --map-root-user).
set -euo pipefail

if [ "${WREN_NETNS:-}" = "1" ]; then exec "$@"; fi

setup='ip link set lo up &&
  ip link add wren0 type veth peer name wren0-peer &&
  ip addr add 10.77.0.1/24 dev wren0 &&
  ip link set wren0 up && ip link set wren0-peer up &&
  ip route add 224.0.0.0/4 dev wren0 &&
  exec "$@"'
if [ "$(id -u)" = "0" ]; then
  exec unshare --net -- env WREN_NETNS=1 bash -c "$setup" bash "$@"
fi
if unshare --map-root-user --net -- true 2>/dev/null; then
  exec unshare --map-root-user --net -- env WREN_NETNS=1 bash -c "$setup" bash "$@"
fi
echo "wren: cannot create a private network namespace (needs root or unprivileged user namespaces)." >&2
echo "wren: the tests run daemons on production network settings and must not touch a real network;" >&2
echo "wren: run them as root (e.g. in a container) or enable user namespaces." >&2
exit 1
