package rtc

// DropSignal closes the link's signal WebSocket as a network failure
// would, without a leave: the link then resumes, or ends if resuming is
// off (WithResumeTimeout(0)).
func DropSignal(l *Link) { l.transport.Close() }
