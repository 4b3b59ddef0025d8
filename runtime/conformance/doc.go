// Package conformance holds lkrpc's protocol conformance suite and nothing
// else: its tests (package conformance_test) run the protocol engine on
// memroom against the rules of PROTOCOL.md, one test per rule, asserting on
// the packets the room routed as well as on the outcomes. The peers are
// either our engine or small scripted stand-ins for livekit-client 2.18,
// 2.19 and 2.23 that speak raw packets. RULES.md maps every rule to its test;
// TestRulesMapComplete keeps that map honest.
package conformance
