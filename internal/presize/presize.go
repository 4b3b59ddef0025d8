// Package presize grows the calling goroutine's stack, at once and while
// it is shallow, to what the work ahead takes.
//
// A new goroutine starts with a small stack (2 KiB, or what goroutines
// used on average at the last GC) that Go doubles where it runs out. Deep
// in proto.Clone, protojson or pion's SCTP writer, copying the stack means
// walking some twenty to thirty frames each time: 13–16 % of a small
// call's CPU in process (bench row 5), a third of the calling side's in a
// burst of concurrent calls through a real server (row 6). Growing it
// early walks a few frames.
//
// Each function only reserves its frame: its prologue grows the stack to
// hold it, and the frame is used (so kept) on a branch the compiler cannot
// rule out but callers never take, as they pass 0. Go clears an array
// where it is declared, on that branch, so a stack already large enough
// costs a call and a comparison, where clearing the frame on every call
// cost hundreds of instructions (a typed call passes Call twice).
package presize

// serveFrame is Serve's frame: with what a serving goroutine has used when
// it calls it, its stack grows to 16 KiB, which sending a packet (a
// proto.Clone on memroom, a marshal on a real link) and a protojson
// handler's encoding fit in.
const serveFrame = 12 << 10

// callFrame is Call's frame: with what a caller has typically used when
// it calls it (about 2 KiB through the typed layer), a 2 or 4 KiB stack
// grows to 8 KiB in one step, which sending the request through pion (3.3
// KiB deep from the goroutine's start, more when its locks are contended)
// fits in.
const callFrame = 4 << 10

// Serve readies a serving goroutine's stack.
//
//go:noinline
func Serve(i int) byte {
	if i >= 0 {
		return 0
	}
	var frame [serveFrame]byte
	frame[-i%serveFrame] = 1
	return frame[(1-i)%serveFrame]
}

// Call readies a caller's stack, where a call enters the typed layer or
// the engine.
//
//go:noinline
func Call(i int) byte {
	if i >= 0 {
		return 0
	}
	var frame [callFrame]byte
	frame[-i%callFrame] = 1
	return frame[(1-i)%callFrame]
}
