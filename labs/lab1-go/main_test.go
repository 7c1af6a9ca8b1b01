package main

import "testing"

func TestReverse(t *testing.T) {
	if got := reverse("día"); got != "aíd" {
		t.Fatalf("reverse(día) = %q", got)
	}
}

func TestPrimesBelow(t *testing.T) {
	if got := primesBelow(30); len(got) != 10 || largest(got) != 29 {
		t.Fatalf("primesBelow(30) = %v", got)
	}
}
