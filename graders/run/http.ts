const MAX_BODY = 64 * 1024;

/**
 * GET with a time limit; reads at most MAX_BODY bytes, so a flooding app cannot exhaust us.
 * The limit is a ref'd timer (AbortSignal.timeout's is not): while the engine's port proxy
 * holds a connection the app never answers, nothing else keeps the process waiting.
 */
export async function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), timeoutMs);
  try {
    const res = await fetch(url, { signal: abort.signal, redirect: 'manual' });
    const reader = res.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (reader && size < MAX_BODY) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    await reader?.cancel().catch(() => undefined);
    return { status: res.status, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) };
  } finally {
    clearTimeout(timer);
  }
}
