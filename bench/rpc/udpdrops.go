package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// udpSockets maps the inode of each UDP socket in this network namespace
// to the datagrams the kernel dropped on it (a full receive buffer, the
// "drops" column of /proc/net/udp). Nil where /proc does not say.
func udpSockets() map[string]int {
	b, err := os.ReadFile("/proc/self/net/udp")
	if err != nil {
		return nil
	}
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 13 {
			continue
		}
		if n, err := strconv.Atoi(f[12]); err == nil {
			out[f[9]] = n
		}
	}
	return out
}

// socketOwners maps socket inodes to the name of the process holding them
// ("this process" for ours).
func socketOwners() map[string]string {
	owners := map[string]string{}
	procs, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		fds, err := os.ReadDir("/proc/" + p.Name() + "/fd")
		if err != nil {
			continue
		}
		name := "this process"
		if p.Name() != self {
			comm, _ := os.ReadFile("/proc/" + p.Name() + "/comm")
			name = strings.TrimSpace(string(comm))
		}
		for _, fd := range fds {
			t, err := os.Readlink("/proc/" + p.Name() + "/fd/" + fd.Name())
			if err == nil && strings.HasPrefix(t, "socket:[") {
				owners[strings.TrimSuffix(strings.TrimPrefix(t, "socket:["), "]")] = name
			}
		}
	}
	return owners
}

// udpDropsSince describes the datagrams dropped since before (a
// udpSockets snapshot), per owning process; "" when /proc says nothing.
func udpDropsSince(before map[string]int) string {
	after := udpSockets()
	if after == nil {
		return ""
	}
	owners := socketOwners()
	by := map[string]int{}
	for inode, n := range after {
		owner := owners[inode]
		if owner == "" {
			owner = "a closed socket's owner"
		}
		by[owner] += n - before[inode]
	}
	var parts []string
	for owner, n := range by {
		parts = append(parts, fmt.Sprintf("%s %d", owner, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
