#!/usr/bin/env bash
# install.sh puts the pieces the end-to-end tests need on this machine, and
# skips each one that is already present (so running it twice is cheap):
#   * livekit-server v1.13.5 into <repo>/.cache/bin/livekit-server, built with
#     `go install` from outside this module so its dependencies never mix with
#     the project's go.mod;
#   * Chromium from Debian (/usr/bin/chromium), only if missing;
#   * tmux from Debian, only if missing: e2e/cli reads the lkrpc command's
#     progress bar off a real terminal;
#   * redis-server from Debian, only if missing: TestCluster's two
#     livekit-server nodes share it (the test starts it in the namespace);
#   * the JavaScript peers (`npm ci` in e2e/js): livekit-client 2.23.0 and
#     2.18.10 (as livekit-client-218), playwright-core, @livekit/rtc-node 1.1.0
#     (its native library comes inside the npm package).
# Usage: e2e/install.sh [--no-chromium] [--no-npm]
set -euo pipefail

LIVEKIT_VERSION=v1.13.5
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo/.cache/bin"

want_chromium=1
want_npm=1
for arg in "$@"; do
	case "$arg" in
	--no-chromium) want_chromium=0 ;;
	--no-npm) want_npm=0 ;;
	*) echo "install.sh: unknown argument $arg" >&2; exit 2 ;;
	esac
done

install_server() {
	if [[ -x "$bin/livekit-server" ]]; then
		echo "livekit-server: present ($bin/livekit-server)"
		return
	fi
	mkdir -p "$bin"
	echo "livekit-server: installing $LIVEKIT_VERSION (takes a few minutes cold)"
	# Build in a scratch GOBIN, then rename: the package's binary is called
	# "server", which says nothing once it sits next to other tools.
	local tmp
	tmp="$(mktemp -d)"
	# cd out of the repository so `go install pkg@version` ignores our go.mod.
	(cd /tmp && GOFLAGS=-mod=mod GOBIN="$tmp" go install \
		"github.com/livekit/livekit-server/cmd/server@$LIVEKIT_VERSION")
	mv "$tmp/server" "$bin/livekit-server"
	rmdir "$tmp"
	echo "livekit-server: installed $bin/livekit-server"
}

install_chromium() {
	if [[ -x /usr/bin/chromium ]]; then
		echo "chromium: present (/usr/bin/chromium)"
		return
	fi
	echo "chromium: installing from Debian"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
}

install_tmux() {
	if command -v tmux >/dev/null; then
		echo "tmux: present ($(command -v tmux))"
		return
	fi
	echo "tmux: installing from Debian"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux
}

install_redis() {
	if command -v redis-server >/dev/null; then
		echo "redis-server: present ($(command -v redis-server))"
		return
	fi
	echo "redis-server: installing from Debian"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
}

install_npm() {
	local dir="$repo/e2e/js"
	if [[ ! -f "$dir/package-lock.json" ]]; then
		echo "npm: no e2e/js/package-lock.json yet, nothing to install"
		return
	fi
	if [[ -d "$dir/node_modules" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
		echo "npm: e2e/js/node_modules up to date"
		return
	fi
	echo "npm: npm ci in e2e/js"
	(cd "$dir" && npm ci --no-audit --no-fund)
}

install_server
install_tmux
install_redis
if ((want_chromium)); then install_chromium; fi
if ((want_npm)); then install_npm; fi
