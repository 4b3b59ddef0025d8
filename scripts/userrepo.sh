#!/usr/bin/env bash
# userrepo.sh builds the quickstart (example/quickstart) as a user's own
# repository would be built, from nothing, so that the recipe in
# docs/quickstart.md cannot rot:
#   * copies example/quickstart to a fresh directory outside this module and
#     points its `replace github.com/lkrpc/lkrpc` at this checkout;
#   * checks that go.mod and go.sum are tidy, and that the vendored
#     third_party/lkrpc/v1/options.proto is lkrpc's;
#   * deletes the generated code, regenerates it with buf through
#     `go tool -modfile=tools/go.mod buf generate` and checks that it equals
#     the committed gen/; then the same with protoc (./gen-protoc.sh; only the
#     protoc version in protoc-gen-go's header may differ);
#   * go vet, go build, and runs cmd/inmemory, checking what it prints;
#   * checks that the code blocks of docs/quickstart.md marked with
#     `<!-- file: PATH -->` are the files they name (`<!-- excerpt: PATH -->`:
#     lines of the file).
# Needs Go and protoc (Debian: apt-get install protobuf-compiler).
#
# Usage: scripts/userrepo.sh [--real-server]
#   --real-server  then also run the server and client mains against a real
#                  livekit-server (the Go test e2e/userrepo, LKRPC_E2E=1;
#                  needs root and e2e/install.sh).
# KEEP=1 keeps the temporary directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
real_server=0
for arg in "$@"; do
	case "$arg" in
	--real-server) real_server=1 ;;
	*)
		echo "usage: $0 [--real-server]" >&2
		exit 2
		;;
	esac
done

step() { printf '== userrepo: %s\n' "$*"; }
fail() {
	printf 'userrepo: FAIL: %s\n' "$*" >&2
	exit 1
}

command -v protoc >/dev/null || fail "protoc not found: apt-get install protobuf-compiler (.ci/run does)"

work=$(mktemp -d "${TMPDIR:-/tmp}/lkrpc-userrepo.XXXXXX")
if [[ "${KEEP:-}" == 1 ]]; then
	echo "userrepo: keeping $work"
else
	trap 'rm -rf "$work"' EXIT
fi
repo="$work/greeter"
committed="$root/example/quickstart"

step "copy example/quickstart to $repo"
cp -R "$committed" "$repo"
cd "$repo"
go mod edit -replace "github.com/lkrpc/lkrpc=$root"

step "go.mod and go.sum are tidy"
go mod tidy -diff || fail "example/quickstart/go.mod or go.sum is not tidy: run go mod tidy there"

step "third_party/lkrpc/v1/options.proto is lkrpc's"
lkrpc_dir=$(go list -m -f '{{.Dir}}' github.com/lkrpc/lkrpc)
[[ "$lkrpc_dir" == "$root" ]] || fail "go list -m says lkrpc is at $lkrpc_dir, want $root"
cmp third_party/lkrpc/v1/options.proto "$lkrpc_dir/proto/lkrpc/v1/options.proto" ||
	fail "third_party/lkrpc/v1/options.proto differs from proto/lkrpc/v1/options.proto: copy it again (docs/quickstart.md)"

step "buf generate (go tool -modfile=tools/go.mod buf generate)"
rm -rf gen
go tool -modfile=tools/go.mod buf generate
[[ ! -e gen/lkrpc ]] || fail "buf generated lkrpc's options into the user's module: $(find gen/lkrpc -type f)"
diff -r "$committed/gen" gen || fail "buf's gen/ differs from example/quickstart/gen"

step "protoc (./gen-protoc.sh, $(protoc --version))"
rm -rf gen
./gen-protoc.sh
[[ ! -e gen/lkrpc ]] || fail "protoc generated lkrpc's options into the user's module"
# buf reports no protoc version ("(unknown)"); protoc reports its own.
unversion() { sed -E 's|^// \tprotoc +.*$|// \tprotoc (version)|' "$1"; }
(cd "$committed/gen" && find . -type f | sort) >"$work/want.list"
(cd gen && find . -type f | sort) >"$work/got.list"
diff "$work/want.list" "$work/got.list" || fail "protoc generated other files than buf"
while read -r f; do
	diff <(unversion "$committed/gen/$f") <(unversion "gen/$f") || fail "protoc's $f differs from buf's"
done <"$work/want.list"

step "go vet and go build"
go vet ./...
go build -o "$work/bin/" ./...

step "cmd/inmemory"
out=$("$work/bin/inmemory" 2>&1) || fail "cmd/inmemory failed: $out"
printf '%s\n' "$out"
want=(
	'^server: Greet\("Ada"\) from client$'
	'^client: Greet: "Hello, Ada!" \[reply: v1 packet, '
	'^server: Poem\(262144 bytes\) from client$'
	'^client: Poem: 262144 bytes \[reply: v2 stream, deflate, '
)
for re in "${want[@]}"; do
	grep -Eq "$re" <<<"$out" || fail "cmd/inmemory printed no line matching $re"
done

step "docs/quickstart.md and README.md quote the committed files"
# <!-- file: PATH --> before a code block: the block is the whole file.
# <!-- excerpt: PATH --> before a code block: each of its lines is a line of the file.
for doc in docs/quickstart.md README.md; do
awk -v root="$root" -v doc="$doc" '
	function slurp(path,    file, line, text) {
		file = root "/" path; text = ""
		while ((getline line < file) > 0) text = text line "\n"
		close(file)
		return text
	}
	/^<!-- (file|excerpt): [^ ]+ -->$/ { kind = $2; path = $3; marker = NR; next }
	path != "" && !inblock {
		if (!/^```/) { printf "%s:%d: no code block right after the marker of %s\n", doc, marker, path; bad = 1; path = ""; next }
		inblock = 1; body = ""; next
	}
	inblock && /^```$/ {
		want = slurp(path)
		if (want == "") {
			printf "%s:%d: %s: no such file, or empty\n", doc, marker, path; bad = 1
		} else if (kind == "file:" && body != want) {
			printf "%s:%d: the block differs from %s\n", doc, marker, path; bad = 1
		} else if (kind == "excerpt:") {
			n = split(body, lines, "\n")
			for (i = 1; i <= n; i++)
				if (lines[i] != "" && index("\n" want, "\n" lines[i] "\n") == 0) {
					printf "%s:%d: %s has no line \"%s\"\n", doc, marker, path, lines[i]; bad = 1
				}
		}
		blocks++; inblock = 0; path = ""; next
	}
	inblock { body = body $0 "\n" }
	END {
		if (blocks == 0) { print doc ": no <!-- file: PATH --> blocks"; bad = 1 }
		exit bad
	}
' "$root/$doc" || fail "$doc no longer quotes the files it names: update it"
done

if [[ "$real_server" == 1 ]]; then
	step "server and client mains on a real livekit-server (e2e/userrepo)"
	cd "$root"
	LKRPC_E2E=1 go test -count=1 -v -run TestUserRepo ./e2e/userrepo/
fi

step ok
