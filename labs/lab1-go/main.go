// wordsmith is a small text service: the app you will containerise in lab 1.
//
// Everything it serves is compiled into the binary with go:embed, so the
// final image needs nothing but the binary itself.
package main

import (
	_ "embed"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// The grader writes a fresh random value into stamp.txt before every build and asks
// for it back on /stamp: proof that the image was built from these sources. (The stamp
// function at the end of this file is the proof that it was compiled from them.)
//
//go:embed stamp.txt
var stamp string

//go:embed index.html
var indexPage []byte

func main() {
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	server := &http.Server{
		Addr:              addr,
		Handler:           routes(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	log.Printf("wordsmith listening on %s", addr)
	log.Fatal(server.ListenAndServe())
}

func routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexPage)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /stamp", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(stampAnswer(r))) })
	mux.HandleFunc("GET /reverse", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"result": reverse(r.URL.Query().Get("text"))})
	})
	mux.HandleFunc("GET /wordcount", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]int{"words": len(strings.Fields(r.URL.Query().Get("text")))})
	})
	mux.HandleFunc("GET /primes", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("below"))
		if err != nil || n < 0 || n > 1_000_000 {
			http.Error(w, "below must be a whole number from 0 to 1000000", http.StatusBadRequest)
			return
		}
		primes := primesBelow(n)
		writeJSON(w, map[string]any{"count": len(primes), "largest": largest(primes)})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// reverse reverses a string by Unicode code point, so "día" becomes "aíd".
func reverse(s string) string {
	runes := []rune(s)
	for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
		runes[i], runes[j] = runes[j], runes[i]
	}
	return string(runes)
}

// primesBelow returns every prime p < n (sieve of Eratosthenes).
func primesBelow(n int) []int {
	if n < 3 {
		return nil
	}
	composite := make([]bool, n)
	var primes []int
	for i := 2; i < n; i++ {
		if composite[i] {
			continue
		}
		primes = append(primes, i)
		for j := i * i; j < n; j += i {
			composite[j] = true
		}
	}
	return primes
}

func largest(primes []int) int {
	if len(primes) == 0 {
		return 0
	}
	return primes[len(primes)-1]
}

// stampAnswer is what /stamp serves: the stamp and, asked /stamp?x=N, the stamp function's value for N.
func stampAnswer(r *http.Request) string {
	answer := strings.TrimSpace(stamp)
	if x, err := strconv.ParseUint(r.URL.Query().Get("x"), 10, 32); err == nil {
		answer += " " + strconv.FormatUint(uint64(stampOf(uint32(x))), 10)
	}
	return answer + "\n"
}

// The stamp function. Before every build the grader replaces the lines between the two
// markers with a new function (new steps, new constants) and asks /stamp?x=N for its value:
// only a program compiled from these sources, in the build, answers it right.
// >>> stamp function
func stampOf(x uint32) uint32 {
	return x
}
// <<< stamp function
