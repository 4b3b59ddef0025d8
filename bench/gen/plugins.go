package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// plugin is one protoc plugin under measurement.
type plugin struct {
	name string // protoc-gen-… binary name, also the table row
	path string // the binary
}

// baseline is a plugin installed at a pinned version for comparison.
type baseline struct {
	name    string // the binary go install produces
	module  string // the module that holds it
	pkg     string // its package path, module-relative
	version string
}

// baselines are the plugins of issue 5's comparison. The psrpc plugin lives
// at <module>/protoc-gen-psrpc (there is no cmd/ directory in v0.8.2).
var baselines = []baseline{
	{"protoc-gen-psrpc", "github.com/livekit/psrpc", "protoc-gen-psrpc", "v0.8.2"},
	{"protoc-gen-go-grpc", "google.golang.org/grpc/cmd/protoc-gen-go-grpc", "", "v1.6.2"},
	{"protoc-gen-connect-go", "connectrpc.com/connect", "cmd/protoc-gen-connect-go", "v1.21.1"},
}

// lkrpcName is the plugin under test; goGRPCName is one of the baselines.
const (
	lkrpcName  = "protoc-gen-lkrpc"
	goGRPCName = "protoc-gen-go-grpc"
)

// launcherName is the plugin launcher's binary (see launcher).
const launcherName = "plugin-launcher"

// preparePlugins builds protoc-gen-lkrpc and the plugin launcher from the
// working tree (always, so that the row measures the code as it is; it sets
// launcher) and installs each baseline into bin unless the binary there
// already has the pinned version.
func preparePlugins(root, bin string) ([]plugin, error) {
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	lkrpc := filepath.Join(bin, lkrpcName)
	if err := goBuild(root, lkrpc, "./cmd/protoc-gen-lkrpc"); err != nil {
		return nil, err
	}
	launcher = []string{filepath.Join(bin, launcherName)}
	if err := goBuild(root, launcher[0], "./bench/gen/launcher"); err != nil {
		return nil, err
	}
	plugins := []plugin{{lkrpcName, lkrpc}}
	for _, b := range baselines {
		path := filepath.Join(bin, b.name)
		if !hasVersion(path, b) {
			if err := install(bin, b); err != nil {
				return nil, err
			}
		}
		plugins = append(plugins, plugin{b.name, path})
	}
	return plugins, nil
}

// goBuild builds the package pkg of the module at root into out.
func goBuild(root, out, pkg string) error {
	build := exec.Command("go", "build", "-o", out, pkg)
	build.Dir = root
	if output, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, output)
	}
	return nil
}

// hasVersion reports whether path is a binary built from b's pinned version.
func hasVersion(path string, b baseline) bool {
	out, err := exec.Command("go", "version", "-m", path).Output()
	if err != nil {
		return false // absent, or not a Go binary
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 3 && fields[0] == "mod" && fields[1] == b.module {
			return fields[2] == b.version
		}
	}
	return false
}

// install runs go install for b with GOBIN=bin, from the temporary directory
// and with -mod=mod, so that the install resolves b's own module graph and
// never reads or writes this repository's go.mod.
func install(bin string, b baseline) error {
	target := b.module
	if b.pkg != "" {
		target += "/" + b.pkg
	}
	target += "@" + b.version
	fmt.Printf("installing %s into %s\n", target, bin)
	cmd := exec.Command("go", "install", target)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go install %s: %w\n%s", target, err, stderr.Bytes())
	}
	return nil
}
