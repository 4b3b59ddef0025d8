package generator

import "testing"

func TestUnexport(t *testing.T) {
	tests := map[string]string{
		"Greeter":      "greeter",
		"URLShortener": "urlShortener",
		"HTTP":         "http",
		"A":            "a",
		"AB":           "ab",
		"ABc":          "aBc",
		"greeter":      "greeter",
		"Ünicode":      "ünicode",
		"X_Y":          "x_Y",
	}
	for in, want := range tests {
		if got := unexport(in); got != want {
			t.Errorf("unexport(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNamespaceClaim(t *testing.T) {
	ns := newNamespace()
	ns.reserve("GreeterClient")
	for _, want := range []string{"GreeterClient_", "GreeterClient__", "GreeterClient___"} {
		if got := ns.claim("GreeterClient"); got != want {
			t.Errorf("claim = %q, want %q", got, want)
		}
	}
	if got := ns.claim("Other"); got != "Other" {
		t.Errorf("claim(Other) = %q, want Other", got)
	}
}

func TestImportAlias(t *testing.T) {
	ns := newNamespace()
	ns.reserve("Shared")
	tests := map[string]string{
		"emptypb": "emptypb", // the usual case: the package's own name
		"proto":   "proto",   // generated code itself imports no package named proto
		"lkrpc":   "lkrpcpb", // the runtime is imported as lkrpc
		"ctx":     "ctxpb",   // a parameter of generated methods
		"req":     "reqpb",
		"Shared":  "Sharedpb", // a package-level identifier
		"":        "pkg",      // no usable name
		"type":    "pkg",      // a keyword is not an identifier
		"a-b":     "pkg",
	}
	for in, want := range tests {
		if got := importAlias(ns, in); got != want {
			t.Errorf("importAlias(%q) = %q, want %q", in, got, want)
		}
	}
}
