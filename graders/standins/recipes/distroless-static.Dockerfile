# Stand-in for gcr.io/distroless/static-debian13: like upstream, the contents of Debian's
# base-files, netbase, tzdata, tzdata-legacy and media-types packages (unpacked, no scripts run), the
# CA bundle, and the root, nobody and nonroot (65532) users. No libc, no shell.
FROM debian:trixie-slim AS packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && mkdir -p /debs /rootfs && cd /debs \
 && apt-get download base-files netbase tzdata tzdata-legacy media-types \
 && mkdir -p /rootfs/var/lib/dpkg/status.d \
 && for deb in *.deb; do dpkg -x "$deb" /rootfs; dpkg-deb -f "$deb" > "/rootfs/var/lib/dpkg/status.d/${deb%%_*}"; done \
 && find /rootfs/usr/share/doc -type f ! -name copyright -delete \
 && rm -rf /rootfs/usr/share/man /rootfs/usr/share/lintian /rootfs/usr/share/bug \
 && mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/root /rootfs/home/nonroot \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' > /rootfs/etc/group \
 && printf 'hosts: files dns\n' > /rootfs/etc/nsswitch.conf \
 && chmod 1777 /rootfs/tmp && chmod 700 /rootfs/root && chown 65532:65532 /rootfs/home/nonroot

FROM scratch
COPY --from=packages /rootfs/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
