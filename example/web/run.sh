#!/usr/bin/env bash
# run.sh runs the example frontend against a local livekit-server inside a
# private network namespace (e2e/netns.sh): it builds the page (Vite) and
# the Go agent (example/web/agent), starts the server from .cache/bin
# (e2e/install.sh puts it there), the agent (which joins with lkrpc.Connect
# and serves the page on 127.0.0.1:8080), and then check.mjs, which drives
# the page in headless Chromium and checks its text and a screenshot
# (written to .cache/web/voiceagent.png). Everything is stopped by PID.
#
# Usage: example/web/run.sh            (needs root for the namespace)
# To try the page by hand against a LiveKit server you run yourself:
#   (cd example/web && npm ci && npm run build)
#   LIVEKIT_URL=… LIVEKIT_API_KEY=… LIVEKIT_API_SECRET=… go run ./example/web/agent
#   and open http://127.0.0.1:8080/
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
web="$repo/example/web"
server="${LKRPC_LIVEKIT_SERVER:-$repo/.cache/bin/livekit-server}"
if [[ ! -x "$server" ]]; then
	echo "run.sh: no livekit-server at $server; run e2e/install.sh first" >&2
	exit 1
fi
if [[ ! -d "$web/node_modules" || ! "$web/node_modules/.package-lock.json" -nt "$web/package-lock.json" ]]; then
	(cd "$web" && npm ci --no-audit --no-fund)
fi
(cd "$web" && npm run --silent build)
out="$repo/.cache/web"
mkdir -p "$out"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
(cd "$repo" && go build -o "$bin/agent" ./example/web/agent)

"$repo/e2e/netns.sh" bash -euo pipefail -c '
	server=$1 config=$2 agent=$3 web=$4 out=$5
	"$server" --dev --bind 127.0.0.1 --config "$config" >"$out/server.log" 2>&1 &
	spid=$!
	apid=
	stop() {
		[[ -n "$apid" ]] && { kill -TERM "$apid" 2>/dev/null; wait "$apid" 2>/dev/null || true; }
		kill -TERM "$spid" 2>/dev/null; sleep 0.2; kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
	}
	trap stop EXIT
	waitport() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }
	waitport 7880
	LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret \
		"$agent" -listen 127.0.0.1:8080 -dir "$web/dist" >"$out/agent.log" 2>&1 &
	apid=$!
	waitport 8080 || { cat "$out/agent.log" >&2; exit 1; }
	node "$web/check.mjs" http://127.0.0.1:8080/ "$out/voiceagent.png"
' run.sh "$server" "$repo/e2e/livekit.yaml" "$bin/agent" "$web" "$out"
