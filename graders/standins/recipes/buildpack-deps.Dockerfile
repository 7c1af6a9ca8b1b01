# Stand-in for buildpack-deps:trixie, the base of the full node and python images:
# curl, git and the compilers and -dev libraries of upstream's package list. Full images
# are built on debian:trixie, not -slim, so documentation is kept here as there.
FROM debian:trixie-slim
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/stagecraft-host-bundle.crt
RUN rm -f /etc/dpkg/dpkg.cfg.d/99mmdebstrap \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates curl gnupg netbase wget \
      git mercurial openssh-client subversion procps \
      autoconf automake bzip2 default-libmysqlclient-dev dpkg-dev file g++ gcc imagemagick \
      libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev libevent-dev libffi-dev libgdbm-dev \
      libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev liblzma-dev libmagickcore-dev \
      libmagickwand-dev libmaxminddb-dev libncurses-dev libpng-dev libpq-dev libreadline-dev \
      libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev libxslt1-dev libyaml-dev \
      make patch unzip xz-utils zlib1g-dev \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/*
CMD ["bash"]
