package runtime

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Ready-made authorizers for WithAuthorizer. They decide on what the room's
// server says about the caller (identity, kind, attributes), never on what
// the caller wrote in its payload. A refusal follows the WithErrorText
// policy: by default the caller gets 2403 "Permission denied" and the reason
// is logged; with WithErrorText(true) the reason is the message.
//
// Give several WithAuthorizer options to require all of them, e.g. agents
// with a role:
//
//	lkrpc.WithAuthorizer(lkrpc.AllowKinds("AGENT")),
//	lkrpc.WithAuthorizer(lkrpc.RequireAttribute("role", "dispatcher")),

// AllowIdentities admits only callers with one of the given identities.
// With no identities it admits nobody.
func AllowIdentities(identities ...string) Authorizer {
	allowed := slices.Clone(identities)
	return func(_ context.Context, c Caller) error {
		if slices.Contains(allowed, c.Identity) {
			return nil
		}
		return fmt.Errorf("caller identity %q is not allowed", c.Identity)
	}
}

// AllowKinds admits only callers whose participant kind is one of kinds,
// named as LiveKit's ParticipantInfo.Kind enum names them ("STANDARD",
// "INGRESS", "EGRESS", "SIP", "AGENT", …; case does not matter). A caller
// whose kind the room did not report is refused. With no kinds it admits
// nobody.
func AllowKinds(kinds ...string) Authorizer {
	allowed := slices.Clone(kinds)
	return func(_ context.Context, c Caller) error {
		if c.Kind != "" && slices.ContainsFunc(allowed, func(k string) bool { return strings.EqualFold(k, c.Kind) }) {
			return nil
		}
		kind := c.Kind
		if kind == "" {
			kind = "unknown"
		}
		return fmt.Errorf("caller kind %s is not allowed", kind)
	}
}

// RequireAttribute admits only callers whose participant attribute key is
// exactly value. Attributes a participant may set itself (the
// canUpdateOwnMetadata grant) prove nothing; use ones only the server or a
// trusted backend sets.
func RequireAttribute(key, value string) Authorizer {
	return func(_ context.Context, c Caller) error {
		got, ok := c.Attributes[key]
		switch {
		case !ok:
			return fmt.Errorf("caller lacks attribute %q", key)
		case got != value:
			return fmt.Errorf("caller attribute %q does not have the required value", key)
		}
		return nil
	}
}
