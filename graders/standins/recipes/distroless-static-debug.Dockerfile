# Stand-in for gcr.io/distroless/static-debian13:debug: the same image plus a static busybox
# in /busybox (on PATH), and, as upstream, a busybox shell as the entrypoint.
FROM debian:trixie-slim AS busybox
RUN apt-get update && cd /tmp && apt-get download busybox-static \
 && dpkg -x busybox-static_*.deb /tmp/bb && mkdir /busybox && cp /tmp/bb/usr/bin/busybox /busybox/busybox \
 && for applet in $(/busybox/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "/busybox/$applet"; done

FROM gcr.io/distroless/static-debian13
COPY --from=busybox /busybox /busybox
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox
ENTRYPOINT ["/busybox/sh"]
