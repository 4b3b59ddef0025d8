#!/usr/bin/env bash
# demo.sh runs the demo (example/demo) against a real livekit-server on this
# machine: it starts the server from .cache/bin (e2e/install.sh puts it
# there) inside a private network namespace, points the demo at it with
# LIVEKIT_URL and the dev keys, and stops the server by its PID afterwards.
# Usage: e2e/demo.sh [demo flags, e.g. -size 4MiB]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
server="${LKRPC_LIVEKIT_SERVER:-$repo/.cache/bin/livekit-server}"
if [[ ! -x "$server" ]]; then
	echo "demo.sh: no livekit-server at $server; run e2e/install.sh first" >&2
	exit 1
fi
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
(cd "$repo" && go build -o "$bin/demo" ./example/demo)

exec "$repo/e2e/netns.sh" bash -euo pipefail -c '
	server=$1 config=$2 demo=$3 log=$4; shift 4
	"$server" --dev --bind 127.0.0.1 --config "$config" >"$log" 2>&1 &
	pid=$!
	stop() { kill -TERM "$pid" 2>/dev/null; sleep 0.2; kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
	trap stop EXIT
	for _ in $(seq 100); do
		if (exec 3<>/dev/tcp/127.0.0.1/7880) 2>/dev/null; then break; fi
		sleep 0.05
	done
	LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret "$demo" "$@"
' demo.sh "$server" "$repo/e2e/livekit.yaml" "$bin/demo" "$bin/server.log" "$@"
