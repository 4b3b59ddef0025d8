// Command rpc measures lkrpc's runtime against baselines taken in the same
// run and prints one table (issue 5, every row but the generator's):
//
//	go run ./bench/rpc            # all rows; needs e2e/install.sh once, and root
//	go run ./bench/rpc -rows 5    # selected rows; row 5 alone needs no server
//
// The machine is shared and noisy, so every target is a ratio against a
// baseline measured in the same run, interleaved with it where the two can
// alternate. Rows that talk to a real livekit-server re-execute the command
// inside e2e/netns.sh (a private network namespace, as the end-to-end tests
// do), start one server there (e2e/lkserver) and stop it by its PID at the
// end. A missed target prints FAIL but does not change the exit status;
// only errors (a failed call, a server that does not start) do.
//
// Rows:
//
//	1  small calls Go↔Go: generated Ping on the participant link vs stock
//	   server-sdk-go PerformRpc with a hand-written string (median latency)
//	2  large calls Go↔Go: 1 MiB request + 1 MiB reply vs the same bytes as raw
//	   DataPackets link→link and back; 100 KiB and 10 MiB (near-random text
//	   and typical JSON) Go→browser→Go and browser→Go→browser vs
//	   browser→browser→browser (two livekit-client 2.23 pages, one echoing)
//	4  compression: 1 MiB of typical JSON (see jsonpayload.go) between peers
//	   advertising deflate vs peers advertising none
//	5  in-process overhead on memroom: generated Ping vs a raw engine call
//	6  1000 concurrent calls: lkrpc vs stock PerformRpc, calls per second
//	7  thresholds: v1 packet vs v2 stream to a protocol-1 peer (WithPacketThreshold)
//	   and compress vs not for small payloads (WithCompressMin)
//	8  server streaming: messages/s and per-message latency of a stream vs one
//	   unary call per message of the same size (Go↔Go through the server)
package main
