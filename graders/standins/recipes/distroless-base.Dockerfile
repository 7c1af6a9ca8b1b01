# Stand-in for gcr.io/distroless/base-debian13: distroless static plus glibc and OpenSSL's
# libraries, unpacked from Debian's packages without running their scripts.
FROM debian:trixie-slim AS packages
RUN apt-get update \
 && mkdir -p /debs /rootfs && cd /debs \
 && apt-get download libc6 libssl3t64 zlib1g libzstd1 \
 && mkdir -p /rootfs/var/lib/dpkg/status.d \
 && for deb in *.deb; do dpkg -x "$deb" /rootfs; dpkg-deb -f "$deb" > "/rootfs/var/lib/dpkg/status.d/${deb%%_*}"; done \
 && find /rootfs/usr/share/doc -type f ! -name copyright -delete \
 && rm -rf /rootfs/usr/share/man /rootfs/usr/share/lintian /rootfs/usr/share/locale

FROM gcr.io/distroless/static-debian13
COPY --from=packages /rootfs/ /
