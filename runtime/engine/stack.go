package engine

// A new goroutine starts with a small stack (2 KiB, or what Go's goroutines
// used on average at the last GC) that Go doubles where it runs out. Deep
// in proto.Clone, protojson or pion's SCTP writer, copying the stack means
// walking some twenty to thirty frames each time: 13–16 % of a small call's
// CPU in process (bench row 5), a third of the calling side's in a burst
// of concurrent calls through a real server (row 6). The functions below
// grow the calling goroutine's stack at once, while it is shallow, to what
// the work ahead takes: that walks a few frames and costs clearing the
// frame. i is any index of the frame: the frame is read where it is
// written, so it cannot be optimised away.

// serveStackFrame is presizeStack's frame: with what serve's goroutine
// has used when it calls it, its stack grows to 16 KiB, which sending a
// packet (a proto.Clone on memroom, a marshal on a real link) and a
// protojson handler's encoding fit in.
const serveStackFrame = 12 << 10

// callStackFrame is presizeCallStack's frame: with what a caller has
// typically used when it enters Call (about 2 KiB through the typed
// layer), a 2 or 4 KiB stack grows to 8 KiB in one step, which sending
// the request through pion (3.3 KiB deep from the goroutine's start, more
// when its locks are contended) fits in. A stack already that large only
// pays for clearing 4 KiB.
const callStackFrame = 4 << 10

// presizeStack readies a serving goroutine's stack (serveStackFrame).
//
//go:noinline
func presizeStack(i int) byte {
	var frame [serveStackFrame]byte
	frame[i%serveStackFrame] = 1
	return frame[(i+1)%serveStackFrame]
}

// presizeCallStack readies a caller's stack (callStackFrame).
//
//go:noinline
func presizeCallStack(i int) byte {
	var frame [callStackFrame]byte
	frame[i%callStackFrame] = 1
	return frame[(i+1)%callStackFrame]
}
