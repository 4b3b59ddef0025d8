package memroom

import (
	"slices"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// routed is a packet on its way to its recipients.
type routed struct {
	pkt  *livekit.DataPacket // stamped; handed to the last recipient
	size int                 // proto.Size(pkt)
	to   []*Link
	from *Link
}

// routeLocked does what the SFU does with one packet from p: stamp the
// sender, pick the recipients, then deliver, subject to the fault function.
func (r *Room) routeLocked(p *Link, pkt *livekit.DataPacket) {
	stamped := proto.CloneOf(pkt)
	stamped.ParticipantIdentity = p.info.Identity
	stamped.ParticipantSid = p.info.SID
	rt := routed{pkt: stamped, size: packetSize(stamped), to: r.recipientsLocked(p, stamped), from: p}

	r.seq++
	d := Delivery{From: p.info.Identity, Seq: r.seq}
	if r.fault != nil || len(r.observers) > 0 {
		d.Packet = proto.CloneOf(stamped)
		for _, q := range rt.to {
			d.To = append(d.To, q.info.Identity)
		}
		if r.fault != nil {
			d.Fault = r.fault(d)
		}
		for _, o := range r.observers {
			o.fn(d)
		}
	}

	// Packets held for reordering go right after this one, whatever
	// happens to this one.
	held := p.held
	p.held = nil
	switch flt := d.Fault; {
	case flt.Drop:
		r.cfg.logger.Debug("memroom: fault dropped packet", "from", d.From, "seq", d.Seq)
	case flt.HoldUntilNext:
		p.held = append(p.held, rt)
	case flt.Delay > 0:
		r.afterLocked(flt.Delay, func() { r.deliverLocked(rt, 1+max(flt.Duplicate, 0)) })
	default:
		r.deliverLocked(rt, 1+max(flt.Duplicate, 0))
	}
	for _, h := range held {
		r.deliverLocked(h, 1)
	}
}

// recipientsLocked applies the SFU's addressing rule: the destination
// identities present in the room when any are given, otherwise everyone;
// never the sender itself.
func (r *Room) recipientsLocked(from *Link, pkt *livekit.DataPacket) []*Link {
	dests := pkt.GetDestinationIdentities()
	var to []*Link
	for _, q := range r.members {
		if q == from {
			continue
		}
		if len(dests) == 0 || slices.Contains(dests, q.info.Identity) {
			to = append(to, q)
		}
	}
	if len(dests) > 0 && len(to) < len(dests) {
		r.cfg.logger.Debug("memroom: destinations not in the room skipped", "from", from.info.Identity, "destinations", dests)
	}
	return to
}

// deliverLocked queues copies of rt's packet for each recipient still in the
// room, charging the sender's send buffer until every copy has been handed
// to its receiver.
func (r *Room) deliverLocked(rt routed, copies int) {
	present := rt.to
	if slices.ContainsFunc(rt.to, func(q *Link) bool { return q.left }) {
		present = nil
		for _, q := range rt.to {
			if !q.left {
				present = append(present, q)
			}
		}
	}
	if len(present) == 0 {
		return
	}
	fl := &flight{sender: rt.from, size: rt.size, refs: len(present) * copies}
	rt.from.chargeLocked(fl.size)
	// Every recipient gets its own copy, as off the network; the last one
	// takes the routed packet itself (a routed packet is delivered once).
	left := fl.refs
	for _, q := range present {
		for range copies {
			left--
			pkt := rt.pkt
			if left > 0 {
				pkt = proto.CloneOf(rt.pkt)
			}
			q.pushLocked(item{pkt: pkt, fl: fl})
		}
	}
}

// flight is one routed packet's claim on its sender's send buffer.
type flight struct {
	sender *Link
	size   int
	refs   int // copies not yet handed to a receiver
}

// doneLocked releases one copy; the last one frees the sender's buffer.
func (f *flight) doneLocked() {
	f.refs--
	if f.refs == 0 {
		f.sender.releaseLocked(f.size)
	}
}

// packetSize is proto.Size(pkt) for a packet the room owns. proto.Size
// walks a map field by reflection at two allocations per entry, so a
// stream header's attributes are counted here instead: the header is
// sized without them (detached for the moment: nobody else sees pkt yet)
// and their entries added. TestPacketSize holds it equal to proto.Size.
func packetSize(pkt *livekit.DataPacket) int {
	h := pkt.GetStreamHeader()
	if h == nil || len(h.Attributes) == 0 {
		return proto.Size(pkt)
	}
	attrs := h.Attributes
	h.Attributes = nil
	without, header := proto.Size(pkt), proto.Size(h)
	h.Attributes = attrs
	entries := 0
	for k, v := range attrs {
		// Map entries carry both key and value, even when empty.
		entry := protowire.SizeTag(1) + protowire.SizeBytes(len(k)) + protowire.SizeTag(2) + protowire.SizeBytes(len(v))
		entries += protowire.SizeTag(attributesField) + protowire.SizeBytes(entry)
	}
	// The header's length prefix grows with it.
	return without - protowire.SizeBytes(header) + protowire.SizeBytes(header+entries)
}

// attributesField is DataStream.Header.attributes's field number.
var attributesField = (&livekit.DataStream_Header{}).ProtoReflect().Descriptor().Fields().ByName("attributes").Number()
