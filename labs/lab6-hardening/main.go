// hookrelay: receives webhooks and forwards them over HTTPS to an upstream service.
// For the lab it also reports what a hardened image must still give it: trusted root
// certificates (every HTTPS call needs them) and time zone data.
package main

import (
	"bytes"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

//go:embed stamp.txt
var stamp string

type config struct {
	Name           string `json:"name"`
	DefaultZone    string `json:"defaultZone"`
	TimeoutSeconds int    `json:"timeoutSeconds"`
}

func main() {
	cfg := loadConfig(envOr("HOOKRELAY_CONFIG", "config/relay.json"))
	client := &http.Client{Timeout: time.Duration(cfg.TimeoutSeconds) * time.Second}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /stamp", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(stampAnswer(r))) })
	mux.HandleFunc("GET /tls/roots", rootsHandler)
	mux.HandleFunc("GET /time", func(w http.ResponseWriter, r *http.Request) { timeHandler(w, r, cfg.DefaultZone) })
	mux.HandleFunc("POST /relay", func(w http.ResponseWriter, r *http.Request) { relayHandler(w, r, client) })

	addr := ":" + envOr("PORT", "8080")
	log.Printf("%s listening on %s", cfg.Name, addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}

func loadConfig(path string) config {
	cfg := config{Name: "hookrelay", DefaultZone: "UTC", TimeoutSeconds: 10}
	raw, err := os.ReadFile(path)
	if err != nil {
		log.Fatalf("cannot read the configuration: %v", err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	return cfg
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// rootsHandler reports how many trusted root certificates this process can load: the ones
// every HTTPS call is verified against. Zero means every call fails with
// "x509: certificate signed by unknown authority".
func rootsHandler(w http.ResponseWriter, r *http.Request) {
	roots := 0
	if pool, err := x509.SystemCertPool(); err == nil {
		//lint:ignore SA1019 on Linux the system pool is a plain list, so Subjects is complete.
		roots = len(pool.Subjects())
	}
	writeJSON(w, http.StatusOK, map[string]int{"roots": roots})
}

// timeHandler reports a time zone's current offset from UTC, from the system's zone data.
func timeHandler(w http.ResponseWriter, r *http.Request, fallback string) {
	zone := r.URL.Query().Get("zone")
	if zone == "" {
		zone = fallback
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	_, offset := time.Now().In(loc).Zone()
	writeJSON(w, http.StatusOK, map[string]any{"zone": zone, "offsetMinutes": offset / 60})
}

// relayHandler forwards the request body to HOOKRELAY_UPSTREAM with the bearer token, both
// from the environment at run time: secrets are given to a container, never built into it.
func relayHandler(w http.ResponseWriter, r *http.Request, client *http.Client) {
	upstream, token := os.Getenv("HOOKRELAY_UPSTREAM"), os.Getenv("HOOKRELAY_TOKEN")
	if upstream == "" || token == "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "HOOKRELAY_UPSTREAM and HOOKRELAY_TOKEN are not set"})
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, upstream, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	resp, err := client.Do(req)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	defer resp.Body.Close()
	writeJSON(w, http.StatusOK, map[string]int{"upstreamStatus": resp.StatusCode})
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
