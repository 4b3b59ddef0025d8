package lkserver

import (
	"fmt"
	"os/exec"
	"strings"
)

// CutUDP drops every UDP packet on the namespace's loopback device while
// TCP goes on: the media and data path of every WebRTC peer in the
// namespace stops (the server's one UDP port and the peers' host
// candidates all route through lo), while the signal WebSockets keep
// working. It needs the private network namespace (Main re-executes the
// test binary in it) and tc: the machine's kernel has htb and u32 but no
// drop action, so UDP is classified into an htb class whose queue holds
// nothing (pfifo limit 0). RestoreUDP undoes it.
func CutUDP() error {
	for _, args := range [][]string{
		{"qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:20", "htb", "rate", "8bit", "ceil", "8bit", "burst", "1", "cburst", "1"},
		{"qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", "pfifo", "limit", "0"},
		{"filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "protocol", "17", "0xff", "flowid", "1:20"},
	} {
		if err := tc(args...); err != nil {
			_ = RestoreUDP()
			return err
		}
	}
	return nil
}

// RestoreUDP removes what CutUDP put on lo.
func RestoreUDP() error { return tc("qdisc", "del", "dev", "lo", "root") }

func tc(args ...string) error {
	out, err := exec.Command("tc", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("tc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
