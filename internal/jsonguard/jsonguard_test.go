package jsonguard

import (
	"strings"
	"testing"
)

func TestDepthBomb(t *testing.T) {
	bomb := []byte(strings.Repeat("[", 6_000_000))
	if Valid(bomb) {
		t.Fatal("a bracket bomb is valid")
	}
	if ValidString(string(bomb)) {
		t.Fatal("a bracket bomb is valid as a string")
	}
	obj := []byte(`{"model":"x","a":` + strings.Repeat(`{"a":`, 1_000_000))
	if Valid(obj) {
		t.Fatal("an object bomb is valid")
	}
}

func TestDepthLimits(t *testing.T) {
	at := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if !Valid([]byte(at)) || !ValidString(at) {
		t.Fatalf("nesting of exactly %d refused", MaxDepth)
	}
	over := "[" + at + "]"
	if Valid([]byte(over)) || ValidString(over) {
		t.Fatalf("nesting of %d accepted", MaxDepth+1)
	}
}

func TestBracketsInStrings(t *testing.T) {
	s := `{"a":"` + strings.Repeat("[{", 1000) + `\"` + `","b":[1]}`
	if !Valid([]byte(s)) || !ValidString(s) {
		t.Fatal("brackets inside a string were counted")
	}
	if Valid([]byte(`{"a":`)) {
		t.Fatal("truncated JSON is valid")
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{`{}`, `[[[`, `{"a":"[\"]"}`, strings.Repeat("[", 300), `"\\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if Valid(b) != ValidString(string(b)) {
			t.Fatalf("Valid and ValidString disagree on %q", b)
		}
	})
}
