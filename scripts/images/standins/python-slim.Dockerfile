# Stand-in for python:3.13-slim-trixie: a slim Debian with Debian's Python 3.13, pip and
# venv (no compiler, no headers); /usr/local/bin/python3 as upstream.
FROM debian:trixie-slim
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/stagecraft-host-bundle.crt
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates netbase tzdata python3.13 python3.13-venv python3-pip \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/* /usr/lib/python3.13/EXTERNALLY-MANAGED \
 && ln -sf /usr/bin/python3.13 /usr/local/bin/python3 && ln -sf /usr/bin/python3.13 /usr/local/bin/python \
 && ln -sf /usr/bin/pip3 /usr/local/bin/pip3 && ln -sf /usr/bin/pip3 /usr/local/bin/pip
ENV LANG=C.UTF-8
CMD ["python3"]
