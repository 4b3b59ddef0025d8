package main

import (
	"bytes"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// sample is one run of one plugin.
type sample struct {
	wall, cpu   time.Duration // cpu is user + system time of the child
	peakRSS     int64         // bytes
	outputBytes int           // generated file contents, summed
	files       []string      // the generated file contents, until the reformat cost is measured
}

// result is every sample of one plugin, in run order, and what its output
// costs to reformat.
type result struct {
	name     string
	samples  []sample
	reformat time.Duration // see reformatCost
}

// measureAll runs every plugin runs times, round-robin: round r runs the
// plugins in order starting from plugin r, so that no plugin always runs
// first or right after the same neighbour.
func measureAll(plugins []plugin, req request, runs int) ([]result, error) {
	results := make([]result, len(plugins))
	for i, p := range plugins {
		results[i].name = p.name
	}
	for r := range runs {
		for k := range plugins {
			i := (r + k) % len(plugins)
			s, err := measure(plugins[i], req)
			if err != nil {
				return nil, fmt.Errorf("%s, run %d: %w", plugins[i].name, r+1, err)
			}
			if r == 0 {
				// Measured once, between runs, so that no child competes with it.
				if results[i].reformat, err = reformatCost(s.files); err != nil {
					return nil, fmt.Errorf("%s: %w", plugins[i].name, err)
				}
			}
			s.files = nil
			results[i].samples = append(results[i].samples, s)
		}
	}
	return results, nil
}

// measure runs p once on req, through the launcher, and checks its
// response: no error, and one file per proto file that declares services.
func measure(p plugin, req request) (sample, error) {
	var stdout, stderr bytes.Buffer
	u, err := launch(p.path, req.wire, &stdout, &stderr)
	if err != nil {
		return sample{}, fmt.Errorf("%w\n%s", err, stderr.Bytes())
	}
	resp := new(pluginpb.CodeGeneratorResponse)
	if err := proto.Unmarshal(stdout.Bytes(), resp); err != nil {
		return sample{}, fmt.Errorf("unreadable response: %w", err)
	}
	if msg := resp.GetError(); msg != "" {
		return sample{}, fmt.Errorf("plugin error: %s", msg)
	}
	if got := len(resp.GetFile()); got != req.serviceFiles {
		return sample{}, fmt.Errorf("%d files generated, want %d", got, req.serviceFiles)
	}
	s := sample{wall: u.wall, cpu: u.cpu, peakRSS: u.peakRSS}
	for _, f := range resp.GetFile() {
		s.outputBytes += len(f.GetContent())
		s.files = append(s.files, f.GetContent())
	}
	return s, nil
}
