package lkserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// A two-node LiveKit cluster: two livekit-server processes sharing one
// Redis, inside the private namespace beside the package's own server
// (which keeps 7880/7882). What LiveKit does with it (e2e/README.md,
// "Cluster"): a room lives on one node, chosen when it is created; a
// participant whose signal connection reaches the other node is relayed
// through Redis (psrpc) to the room's node, and its WebRTC connection goes
// to the room's node directly (the ICE candidates are that node's).

// RedisAddr is where StartRedis listens.
const RedisAddr = "127.0.0.1:6390"

// Redis is a redis-server (Debian's, installed by e2e/install.sh) with no
// persistence, for the cluster.
type Redis struct {
	Addr    string
	cmd     *exec.Cmd
	exited  chan struct{}
	LogPath string
}

// StartRedis runs redis-server on RedisAddr and waits until it answers PING.
func StartRedis() (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("no redis-server: run e2e/install.sh (%w)", err)
	}
	logFile, err := os.CreateTemp("", "lkrpc-redis-*.log")
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(RedisAddr)
	cmd := exec.Command(bin, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--daemonize", "no")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	logFile.Close()
	r := &Redis{Addr: RedisAddr, cmd: cmd, exited: make(chan struct{}), LogPath: logFile.Name()}
	go r.wait()
	deadline := time.Now().Add(readyTimeout)
	for {
		if err := r.ping(); err == nil {
			return r, nil
		}
		select {
		case <-r.exited:
			return nil, fmt.Errorf("redis-server exited before it was ready (log: %s)", r.LogPath)
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Stop()
			return nil, fmt.Errorf("redis-server not ready after %v (log: %s)", readyTimeout, r.LogPath)
		}
	}
}

func (r *Redis) wait() {
	_ = r.cmd.Wait()
	close(r.exited)
}

// RedisWaiter is the goroutine waiting for redis-server, for goleak.
const RedisWaiter = "github.com/lkrpc/lkrpc/e2e/lkserver.(*Redis).wait"

func (r *Redis) ping() error {
	c, err := net.DialTimeout("tcp", r.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redis answered %q", line)
	}
	return nil
}

// Stop ends redis-server (SIGTERM, SIGKILL after the grace period).
func (r *Redis) Stop() {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(stopGrace):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}

// Cluster is two livekit-server nodes sharing a Redis.
type Cluster struct {
	Redis *Redis
	Nodes [2]*Server
}

// nodePorts are each node's signal (HTTP) port; its UDP port is 2 above.
var nodePorts = [2]int{7890, 7900}

// StartCluster starts Redis and two nodes with e2e/livekit.yaml's settings
// but their own ports, and the Redis address.
func StartCluster() (*Cluster, error) {
	bin, err := serverBin()
	if err != nil {
		return nil, err
	}
	r, err := StartRedis()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Redis: r}
	for i, port := range nodePorts {
		url := fmt.Sprintf("ws://127.0.0.1:%d", port)
		http := fmt.Sprintf("http://127.0.0.1:%d", port)
		s, err := startServer(bin, url, http, "--dev", "--bind", "127.0.0.1", "--config-body", nodeConfig(port))
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("cluster node %d: %w", i, err)
		}
		c.Nodes[i] = s
	}
	return c, nil
}

// nodeConfig is e2e/livekit.yaml with the node's ports and Redis.
func nodeConfig(port int) string {
	return fmt.Sprintf(`port: %d
bind_addresses:
  - 127.0.0.1
redis:
  address: %s
rtc:
  udp_port: %d
  tcp_port: 0
  use_external_ip: false
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  use_mdns: false
  ips:
    includes:
      - 127.0.0.1/32
  stun_servers:
    - 127.0.0.1:3478
logging:
  level: info
`, port, RedisAddr, port+2)
}

// Stop stops both nodes, then Redis.
func (c *Cluster) Stop() error {
	var errs []error
	for _, s := range c.Nodes {
		if s != nil {
			errs = append(errs, s.Stop())
		}
	}
	if c.Redis != nil {
		c.Redis.Stop()
	}
	return errors.Join(errs...)
}

// RoomNode returns the index of the node that hosts room, from the nodes'
// logs (livekit-server logs "created room" / "starting RTC session" with
// the room's name on the node that runs it), or -1.
func (c *Cluster) RoomNode(room string) int {
	for i, s := range c.Nodes {
		b, err := os.ReadFile(s.LogPath)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			if strings.Contains(line, room) && (strings.Contains(line, "created room") || strings.Contains(line, "starting RTC session")) {
				return i
			}
		}
	}
	return -1
}
