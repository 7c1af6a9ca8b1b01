# Stand-in for node:20-trixie: buildpack-deps plus Debian's Node.js 20, and npm laid out
# as upstream lays it out (/usr/local/lib/node_modules/npm, /usr/local/bin/npm), with the
# unprivileged `node` user (uid 1000).
FROM buildpack-deps:trixie
COPY npm-cli.tgz /tmp/npm-cli.tgz
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/bin/node /usr/local/bin/node \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm-cli.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 && rm /tmp/npm-cli.tgz \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# Debian's Node.js reads the system CA store; this covers the host's bundle for any build.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
