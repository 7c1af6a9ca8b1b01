#!/bin/sh
# The cgroup v2 test bed's PID 1, after the disk's stub (scripts/cgroup2.ts writes it) has
# mounted /proc, /sys, /dev, the repository (/repo, read-only) and the run's folder (/out).
# Only the unified hierarchy: the kernel runs with cgroup_no_v1=all and nothing mounts v1.
# It starts containerd and dockerd, runs scripts/cgroup2/guest.ts (bundled by the host into
# dist/cgroup2/guest.mjs: transpiling it file by file over 9p took six minutes) with a time
# bound, and powers off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
export PATH HOME
# No Ryuk: the VM has no registry to pull its image from, and the grader removes its own containers.
TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_RYUK_DISABLED

say() { echo "stagecraft-guest: $*"; }
bound=$(sed -n 's/.*stagecraft\.timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
grep -q 'stagecraft\.debug=1' /proc/cmdline && STAGECRAFT_FENCE_DEBUG=1 && export STAGECRAFT_FENCE_DEBUG

mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
ln -sf /proc/self/fd /dev/fd 2>/dev/null
hostname cgroup2-bed
# The VM has no network card (-nic none), but the grader reaches a graded container's port on
# 127.0.0.1, and a host service there is what the reach-host cases must not reach.
ip link set lo up
say "kernel $(uname -r); /sys/fs/cgroup is $(stat -f -c %T /sys/fs/cgroup); controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
say "v1 hierarchies mounted: $(grep -c ' cgroup ' /proc/mounts) (cgroup_no_v1=all: $(grep -c cgroup_no_v1=all /proc/cmdline))"
say "memory: $(awk '/MemTotal/ {print $2" kB"}' /proc/meminfo); CPUs: $(nproc)"

# containerd first, waited for without a deadline: dockerd gives the containerd it starts
# itself 60 s, and under TCG containerd can take longer than that.
containerd >/out/containerd.log 2>&1 &
i=0; while [ ! -S /run/containerd/containerd.sock ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done
say "containerd answers after ${i} s"
dockerd --log-level=warn --containerd=/run/containerd/containerd.sock >/out/dockerd.log 2>&1 &
say "dockerd started (pid $!); node $(node --version); $(iptables --version)"

# The runner waits for the engine itself; `timeout` bounds everything it does.
cd /repo || exit 1
# Under TCG runc takes seconds to start a step: the probe may wait that long to see it.
STAGECRAFT_PROBE_UNSEEN_MS=120000 timeout -k 10 "${bound:-3000}" node dist/cgroup2/guest.mjs
say "runner exited with $?"

# A clean stop for the engine, so the run's last lines reach /out; then power off.
kill -TERM "$(cat /run/docker.pid 2>/dev/null)" 2>/dev/null
i=0; while [ -e /run/docker.pid ] && [ $i -lt 20 ]; do sleep 1; i=$((i+1)); done
sync
say "powering off"
echo o >/proc/sysrq-trigger
sleep 30
