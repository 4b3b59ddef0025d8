package lkserver

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The typed TypeScript peers (@lkrpc/lkrpc) of e2e/typed_ts_test.go. Both
// run the commands of ts/test/interop/peer.ts, compiled into ts/build by
// `make ts-build`.

// typedBuild returns ts/build, or an error naming `make ts-build`.
func typedBuild() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	build := filepath.Join(root, "ts", "build")
	if _, err := os.Stat(filepath.Join(build, "test", "interop", "peer.js")); err != nil {
		return "", fmt.Errorf("the TypeScript package is not built (run make ts-build): %w", err)
	}
	return build, nil
}

// StartTypedBrowser serves e2e/js/typed/index.html with livekit-client
// 2.23.0's UMD bundle, ts/build as /ts/ and protobuf-es's ES modules as
// /pb/ on an ephemeral 127.0.0.1 port, and starts the browser driver on it.
func StartTypedBrowser(stderr, sdkLog io.Writer) (*JSPeer, error) {
	build, err := typedBuild()
	if err != nil {
		return nil, err
	}
	bundleRel := filepath.Join("node_modules", "livekit-client", "dist", "livekit-client.umd.js")
	js, err := jsDir(bundleRel, filepath.Join("node_modules", "playwright-core"))
	if err != nil {
		return nil, err
	}
	pb := filepath.Join(filepath.Dir(build), "node_modules", "@bufbuild", "protobuf", "dist", "esm")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(js, "typed", "index.html"))
	})
	mux.HandleFunc("/livekit-client.umd.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(js, bundleRel))
	})
	mux.Handle("/ts/", http.StripPrefix("/ts/", http.FileServer(http.Dir(build))))
	mux.Handle("/pb/", http.StripPrefix("/pb/", http.FileServer(http.Dir(pb))))
	return startPage("typed livekit-client", js, mux, stderr, sdkLog)
}

// StartTypedNode starts the typed peer on @livekit/rtc-node
// (e2e/js/typed_node_peer.mjs).
func StartTypedNode(stderr, sdkLog io.Writer) (*JSPeer, error) {
	if _, err := typedBuild(); err != nil {
		return nil, err
	}
	js, err := jsDir(filepath.Join("node_modules", "@livekit", "rtc-node", "package.json"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", filepath.Join(js, "typed_node_peer.mjs"))
	cmd.Dir = js
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	return startJSPeer("typed rtc-node", cmd, nil, 20*time.Second, stderr, sdkLog)
}
