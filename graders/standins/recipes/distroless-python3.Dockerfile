# Stand-in for gcr.io/distroless/python3-debian13: distroless cc plus Debian's Python 3.13
# interpreter and standard library, unpacked from Debian's packages (no scripts run, no
# pip, no shell). Like upstream, the entrypoint is the interpreter itself.
FROM debian:trixie-slim AS packages
RUN apt-get update \
 && mkdir -p /debs /rootfs/var/lib/dpkg/status.d /rootfs/usr/bin && cd /debs \
 && apt-get download python3.13-minimal libpython3.13-minimal libpython3.13-stdlib \
      libexpat1 libffi8 libbz2-1.0 liblzma5 libdb5.3t64 libsqlite3-0 libuuid1 \
      libncursesw6 libtinfo6 libreadline8t64 readline-common \
 && for deb in *.deb; do dpkg -x "$deb" /rootfs; dpkg-deb -f "$deb" > "/rootfs/var/lib/dpkg/status.d/${deb%%_*}"; done \
 && find /rootfs/usr/share/doc -type f ! -name copyright -delete \
 && rm -rf /rootfs/usr/share/man /rootfs/usr/share/lintian /rootfs/usr/share/locale /rootfs/usr/share/binfmts \
 && ln -s python3.13 /rootfs/usr/bin/python3

FROM gcr.io/distroless/cc-debian13
COPY --from=packages /rootfs/ /
ENTRYPOINT ["/usr/bin/python3.13"]
