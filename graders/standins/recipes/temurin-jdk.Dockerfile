# Stand-in for eclipse-temurin:21-jdk, from Debian's OpenJDK 21 packages.
# Upstream is Ubuntu with the Temurin JDK in /opt/java/openjdk (javac, jar, jlink and the
# jmods jlink needs); here the same layout is a link to Debian's JDK, whose jmods are in
# the jdk-headless package.
FROM debian:trixie-slim
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/stagecraft-host-bundle.crt
# OpenJDK's postinst links man pages, and our slim base has no /usr/share/man.
# Debian names the JDK's folder after the architecture (java-21-openjdk-amd64, -arm64):
# /opt/java/openjdk links to the one this machine installed.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata locales binutils \
      openjdk-21-jdk-headless \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/* /usr/share/man \
 && mkdir -p /opt/java && ln -s "/usr/lib/jvm/java-21-openjdk-$(dpkg --print-architecture)" /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk \
    LANG=en_US.UTF-8 \
    PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["jshell"]
