# Stand-in for eclipse-temurin:21-jre, from Debian's OpenJDK 21 runtime package: java and
# the class library, no javac, no jar tool, no jmods. /opt/java/openjdk as upstream.
FROM debian:trixie-slim
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/stagecraft-host-bundle.crt
# OpenJDK's postinst links man pages, and our slim base has no /usr/share/man.
# Debian names the JRE's folder after the architecture (java-21-openjdk-amd64, -arm64):
# /opt/java/openjdk links to the one this machine installed.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata openjdk-21-jre-headless \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/* /usr/share/man \
 && mkdir -p /opt/java && ln -s "/usr/lib/jvm/java-21-openjdk-$(dpkg --print-architecture)" /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk \
    LANG=C.UTF-8 \
    PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
