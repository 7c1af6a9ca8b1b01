# Stand-in for python:3.13-slim-trixie: a slim Debian with Debian's Python 3.13, pip and
# venv; /usr/local/bin/python3 as upstream. Upstream builds Python from source under
# /usr/local, so its slim image ships Python's C headers in /usr/local/include/python3.13
# and python3-config (only gcc is missing for `pip install` of a C extension): so does
# this one, with Debian's headers there (and /usr/include/python3.13, where Debian's
# sysconfig looks, pointing at them). libpython3.13-dev keeps pyconfig.h and python3.13-config
# under the architecture's triplet (x86_64-linux-gnu, aarch64-linux-gnu): the package holds
# one architecture's, so the globs below match exactly one file.
FROM debian:trixie-slim
COPY host-ca-bundle.crt /usr/local/share/ca-certificates/stagecraft-host-bundle.crt
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates netbase tzdata python3.13 python3.13-venv python3-pip \
 && update-ca-certificates \
 && mkdir -p /tmp/dev && cd /tmp/dev && apt-get download libpython3.13-dev \
 && dpkg -x libpython3.13-dev_*.deb /tmp/dev/root \
 && mkdir -p /usr/local/include \
 && cp -a /tmp/dev/root/usr/include/python3.13 /usr/local/include/python3.13 \
 && cp /tmp/dev/root/usr/include/*-linux-gnu/python3.13/pyconfig.h /usr/local/include/python3.13/pyconfig.h \
 && ln -s /usr/local/include/python3.13 /usr/include/python3.13 \
 && cp /tmp/dev/root/usr/bin/*-linux-gnu-python3.13-config /usr/local/bin/python3.13-config \
 && ln -s python3.13-config /usr/local/bin/python3-config \
 && cd / && rm -rf /tmp/dev /var/lib/apt/lists/* /usr/lib/python3.13/EXTERNALLY-MANAGED \
 && ln -sf /usr/bin/python3.13 /usr/local/bin/python3 && ln -sf /usr/bin/python3.13 /usr/local/bin/python \
 && ln -sf /usr/bin/pip3 /usr/local/bin/pip3 && ln -sf /usr/bin/pip3 /usr/local/bin/pip
ENV LANG=C.UTF-8
CMD ["python3"]
