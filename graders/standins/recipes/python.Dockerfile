# Stand-in for python:3.13-trixie: buildpack-deps (gcc, make, -dev libraries) plus
# Debian's Python 3.13 with its headers, pip and venv; /usr/local/bin/python3 as upstream,
# and pip may install system-wide as upstream allows (no EXTERNALLY-MANAGED marker).
FROM buildpack-deps:trixie
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.13 python3.13-dev python3.13-venv python3-pip \
 && rm -rf /var/lib/apt/lists/* /usr/lib/python3.13/EXTERNALLY-MANAGED \
 && ln -sf /usr/bin/python3.13 /usr/local/bin/python3 && ln -sf /usr/bin/python3.13 /usr/local/bin/python \
 && ln -sf /usr/bin/python3.13-config /usr/local/bin/python3-config \
 && ln -sf /usr/bin/pip3 /usr/local/bin/pip3 && ln -sf /usr/bin/pip3 /usr/local/bin/pip
ENV LANG=C.UTF-8
CMD ["python3"]
