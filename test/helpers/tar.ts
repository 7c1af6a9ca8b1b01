import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface TarItem {
  name: string;
  /** Content for files; size follows from it. */
  content?: string | Buffer;
  /** A file of this many zero bytes (for big synthetic files without big strings). */
  size?: number;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

/** Build a tar archive in memory from a list of entries. */
export async function makeTar(items: TarItem[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const item of items) {
    const type = item.type ?? 'file';
    if (type === 'file') {
      const body = item.content !== undefined ? Buffer.from(item.content) : Buffer.alloc(item.size ?? 0);
      pack.entry({ name: item.name, type, size: body.length }, body);
    } else {
      pack.entry({ name: item.name, type, linkname: item.linkname });
    }
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const streamOf = (buffer: Buffer) => Readable.from([buffer]);

export interface SyntheticImage {
  layers: TarItem[][];
  history: { created_by: string; empty_layer?: boolean }[];
  layout?: 'classic' | 'oci';
  gzipLayers?: boolean;
}

/** A `docker save`-shaped archive: manifest.json, a config, and one tar per layer. */
export async function makeSavedImage(image: SyntheticImage): Promise<Buffer> {
  const layerTars = await Promise.all(image.layers.map((l) => makeTar(l)));
  const layerNames = layerTars.map((_, i) => (image.layout === 'oci' ? `blobs/sha256/layer${i}` : `layer${i}/layer.tar`));
  const configName = image.layout === 'oci' ? 'blobs/sha256/config' : 'config.json';
  const config = { config: { User: '' }, history: image.history, rootfs: { diff_ids: [] } };
  const items: TarItem[] = [
    ...layerTars.map((t, i) => ({ name: layerNames[i]!, content: image.gzipLayers ? gzipSync(t) : t })),
    { name: configName, content: JSON.stringify(config) },
    // The manifest comes last, as `docker save` writes it.
    { name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: null, Layers: layerNames }]) },
  ];
  return makeTar(items);
}
