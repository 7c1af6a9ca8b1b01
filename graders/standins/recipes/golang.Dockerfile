# Stand-in for golang:1.24-trixie, from Debian's packages.
# Upstream is buildpack-deps:trixie-scm (curl, git, mercurial, subversion, ...) plus
# gcc and friends plus Go in /usr/local/go; cgo is on by default because gcc is there.
FROM debian:trixie-slim
# The host's CA bundle, so TLS through an intercepting proxy works inside builds.
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/stagecraft-host-bundle.crt
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates curl gnupg netbase wget \
      git mercurial openssh-client subversion procps \
      g++ gcc libc6-dev make pkg-config \
      golang-1.24-go \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/lib/go-1.24 /usr/local/go \
 && mkdir -p /go/src /go/bin && chmod -R 1777 /go
ENV GOTOOLCHAIN=local \
    GOPATH=/go \
    PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
CMD ["bash"]
