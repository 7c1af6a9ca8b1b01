import Module, { createRequire } from 'node:module';

/**
 * dockerode loads, as it is loaded, its parts for BuildKit sessions (gRPC and protobuf) and
 * for `ssh://` engines (ssh2): about a third of a second before a grade can start, for parts
 * a grade never uses (it uploads a tar context over HTTP). Each is put in require's cache as
 * a stand-in that loads the real module the first time it is called, so an `ssh://` engine
 * still works. Where a package is laid out otherwise (another version), it loads as it is.
 */
const require = createRequire(import.meta.url);

function deferred(request: string, from: string): void {
  const fromRequire = createRequire(from);
  let file: string;
  try {
    file = fromRequire.resolve(request);
  } catch {
    return;
  }
  if (require.cache[file]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = function (this: unknown, ...args: unknown[]) {
    if (!real) {
      delete require.cache[file];
      real = fromRequire(request) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  require.cache[file] = stand;
}

/** dockerode's session and docker-modem's ssh, for the kit's dockerode and testcontainers' own. */
for (const owner of ['.', 'testcontainers']) {
  try {
    const dockerode = createRequire(owner === '.' ? import.meta.url : require.resolve(owner)).resolve('dockerode');
    deferred('./session.js', dockerode);
    deferred('./ssh.js', createRequire(dockerode).resolve('docker-modem'));
  } catch {
    // Not installed where expected: nothing to defer.
  }
}
