#!/usr/bin/env bash
# netns.sh runs a command inside a private network namespace, so that the
# livekit-server, the Go peers and the browser of the end-to-end tests talk
# only to each other and nothing leaves this machine:
#   * loopback up (the server binds 127.0.0.1);
#   * a veth pair with an address that exists only in the namespace
#     (10.99.0.1/24): with loopback alone WebRTC stacks find no usable host
#     candidate and never connect.
# Needs root (or user namespaces). Usage: e2e/netns.sh <command> [args...]
#   e2e/netns.sh env LKRPC_E2E=1 go test -race ./runtime/link/rtc/ -run E2E
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 <command> [args...]" >&2
	exit 2
fi

if [[ "${LKRPC_IN_NETNS:-}" == 1 ]]; then
	# Already inside (a nested call): just run the command.
	exec "$@"
fi

exec unshare --net -- bash -euo pipefail -c '
	ip link set lo up
	ip link add lkveth0 type veth peer name lkveth1
	ip addr add 10.99.0.1/24 dev lkveth0
	ip link set lkveth0 up
	ip link set lkveth1 up
	export LKRPC_IN_NETNS=1
	exec "$@"
' netns "$@"
