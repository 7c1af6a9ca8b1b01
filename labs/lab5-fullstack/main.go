// cipherdesk: a Go back end that serves a bundled front end and a small JSON API.
// The front end is built separately (web/, by Node and esbuild) into a folder of static
// files; this program serves that folder, so the two builds never depend on each other.
package main

import (
	_ "embed"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"unicode"
)

//go:embed stamp.txt
var stamp string

func main() {
	static := envOr("STATIC_DIR", "/srv/www")
	if _, err := os.Stat(static + "/index.html"); err != nil {
		log.Printf("warning: no index.html in %s (set STATIC_DIR to the built front end)", static)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /stamp", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(stampAnswer(r))) })
	mux.HandleFunc("GET /api/caesar", caesarHandler)
	mux.HandleFunc("GET /api/count", countHandler)
	mux.Handle("GET /", http.FileServer(http.Dir(static)))
	addr := ":" + envOr("PORT", "8080")
	log.Printf("cipherdesk listening on %s, serving %s", addr, static)
	log.Fatal(http.ListenAndServe(addr, mux))
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// caesar shifts ASCII letters by shift places, keeping case; everything else stays.
func caesar(text string, shift int) string {
	shift = ((shift % 26) + 26) % 26
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+rune(shift))%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+rune(shift))%26
		}
		return r
	}, text)
}

func caesarHandler(w http.ResponseWriter, r *http.Request) {
	shift, err := strconv.Atoi(r.URL.Query().Get("shift"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "shift must be a whole number"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"text": caesar(r.URL.Query().Get("text"), shift)})
}

func countHandler(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("text")
	letters := 0
	for _, c := range text {
		if unicode.IsLetter(c) {
			letters++
		}
	}
	writeJSON(w, http.StatusOK, map[string]int{"letters": letters, "words": len(strings.Fields(text))})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
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
