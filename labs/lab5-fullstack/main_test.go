package main

import "testing"

func TestCaesar(t *testing.T) {
	if got := caesar("Hello, World", 3); got != "Khoor, Zruog" {
		t.Fatalf("caesar = %q", got)
	}
	if got := caesar("abc", -1); got != "zab" {
		t.Fatalf("caesar negative = %q", got)
	}
}
