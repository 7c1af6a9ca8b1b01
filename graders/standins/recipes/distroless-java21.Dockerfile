# Stand-in for gcr.io/distroless/java21-debian13: distroless cc plus Debian's OpenJDK 21
# runtime (its files only: no package scripts, no shell) and the Java CA store. Like
# upstream, the entrypoint is `java -jar`, so CMD names the jar.
FROM debian:trixie-slim AS packages
# OpenJDK's postinst links man pages, and our slim base has no /usr/share/man.
# Debian names the JRE's folder after the architecture (java-21-openjdk-amd64, -arm64).
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jre-headless \
 && jvm="/usr/lib/jvm/java-21-openjdk-$(dpkg --print-architecture)" \
 && mkdir -p /rootfs/usr/lib/jvm /rootfs/etc/ssl/certs /rootfs/usr/bin \
 && cp -a "$jvm" /rootfs/usr/lib/jvm/ \
 && cp -a /etc/java-21-openjdk /rootfs/etc/ \
 && cp -a /etc/ssl/certs/java /rootfs/etc/ssl/certs/ \
 && rm -rf "/rootfs$jvm/man" \
 && ln -s "$jvm/bin/java" /rootfs/usr/bin/java \
 && mkdir -p /debs /rootfs/var/lib/dpkg/status.d && cd /debs \
 && apt-get download zlib1g \
 && for deb in *.deb; do dpkg -x "$deb" /rootfs; dpkg-deb -f "$deb" > "/rootfs/var/lib/dpkg/status.d/${deb%%_*}"; done \
 && rm -rf /rootfs/usr/share/doc /rootfs/usr/share/man

FROM gcr.io/distroless/cc-debian13
COPY --from=packages /rootfs/ /
# No shell here to ask dpkg: BuildKit's TARGETARCH (amd64, arm64) is Debian's name for both.
ARG TARGETARCH
ENV JAVA_HOME=/usr/lib/jvm/java-21-openjdk-${TARGETARCH}
ENTRYPOINT ["/usr/bin/java", "-jar"]
