package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// generatorRow is row 3: bench/gen runs protoc-gen-lkrpc and the baseline
// plugins on the same 500×10 request. It runs as a child (it measures its
// own children's peak memory, which this process's size would distort)
// with GOPROXY=off: inside the network namespace nothing can be fetched, so
// `make bench` prepares the plugins first (go run ./bench/gen -prepare).
func generatorRow(ctx context.Context, b *bench) ([]Row, error) {
	root, err := lkserver.RepoRoot()
	if err != nil {
		return nil, err
	}
	runs := max(3, int(5*b.scale+0.5))
	cmd := exec.CommandContext(ctx, "go", "run", "./bench/gen", "-json", "-n", strconv.Itoa(runs))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench/gen: %w (run `go run ./bench/gen -prepare` outside the namespace first)", err)
	}
	var rows []Row
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		return nil, fmt.Errorf("bench/gen -json: %w", err)
	}
	return rows, nil
}
