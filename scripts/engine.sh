#!/usr/bin/env bash
# Make sure a Docker engine answers. Where none does and this is a Debian/Ubuntu
# machine where we are root, install Debian's docker.io and start dockerd in the
# background (no systemd needed); otherwise say how to start one.
set -u
LOG=${STAGECRAFT_DOCKERD_LOG:-/var/log/stagecraft-dockerd.log}
WAIT_SECONDS=${STAGECRAFT_ENGINE_WAIT:-60}

say() { printf 'engine: %s\n' "$*" >&2; }

# Any client on PATH can ask; the daemon's own answer is what matters.
engine_answers() {
  local client
  for client in /usr/bin/docker docker; do
    if command -v "$client" >/dev/null 2>&1 && "$client" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      return 0
    fi
  done
  # No client at all: ask the socket directly.
  [ -S /var/run/docker.sock ] && command -v curl >/dev/null 2>&1 &&
    curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1
}

if engine_answers; then
  say "a Docker engine answers${DOCKER_HOST:+ at $DOCKER_HOST}"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  say "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST; start that engine, or unset DOCKER_HOST to use a local one"
  exit 1
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "no Docker engine answers. Start Docker (Docker Desktop, or 'sudo systemctl start docker') and run this again"
  exit 1
fi

if [ ! -x /usr/sbin/dockerd ] && ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq docker.io >/dev/null; }; then
    say "could not install docker.io with apt-get; install Docker yourself and run this again"
    exit 1
  fi
fi

DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)
if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd in the background (log: $LOG)"
  mkdir -p "$(dirname "$LOG")"
  nohup "$DOCKERD" >>"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq "$WAIT_SECONDS"); do
  if engine_answers; then
    say "dockerd is up"
    exit 0
  fi
  sleep 1
done
say "dockerd did not answer within ${WAIT_SECONDS}s; see the last lines of $LOG:"
tail -n 5 "$LOG" >&2
exit 1
