import { docker } from '../engine/docker.js';
import { CATALOGUE, catalogueEntry, isToolchainImage, repositoryOf } from '../images/catalogue.js';

/** A base image an image was built on, and how many of its bottom layers came with it. */
export interface BaseImage {
  ref: string;
  layers: number;
  toolchain: boolean;
}

/** Repositories of the catalogue's images (golang, node, gcr.io/distroless/static-debian13, …): images people build on. */
const BASE_REPOSITORIES = new Set(CATALOGUE.map((c) => repositoryOf(c.ref)));

/** An image people build on, by its name: a catalogue image, or another tag of the same repositories. */
export const isBaseImageName = (ref: string) => Boolean(catalogueEntry(ref)) || BASE_REPOSITORIES.has(repositoryOf(ref));

const isPrefix = (prefix: string[], of: string[]) => prefix.length > 0 && prefix.length <= of.length && prefix.every((d, i) => d === of[i]);

/** `gcr.io/distroless/cc-debian13:latest` reads as people write it: `gcr.io/distroless/cc-debian13`. */
const written = (ref: string) => ref.replace(/:latest$/, '');

const base = (ref: string, layers: number): BaseImage => ({ ref: written(ref), layers, toolchain: isToolchainImage(ref) });

/**
 * Without a Dockerfile, base images are found by their layers: every local image whose
 * layers are a prefix of this one's, nested (debian:trixie-slim's one layer, then
 * golang:1.24-trixie's four), shortest first; each layer came with the smallest base that
 * holds it. An image that is itself a base image (`explain golang:1.24-trixie`) is the
 * outermost base of its own layers, named as the user named it (`refs` first, then its
 * tags); other tags of the same image are the image itself.
 */
export async function findBaseImages(imageId: string, diffIds: string[], refs: string[]): Promise<BaseImage[]> {
  const byLength = new Map<number, BaseImage>();
  const own = refs.find(isBaseImageName);
  if (own) byLength.set(diffIds.length, base(own, diffIds.length));
  for (const candidate of await docker().listImages()) {
    if (candidate.Id === imageId) continue;
    const tags = (candidate.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (!tags.length) continue;
    const layers =
      (
        await docker()
          .getImage(candidate.Id)
          .inspect()
          .catch(() => undefined)
      )?.RootFS?.Layers ?? [];
    if (!isPrefix(layers, diffIds) || (layers.length === diffIds.length && !own)) continue;
    // At equal length a base image's name reads better than any other tag.
    const ref = tags.find(isBaseImageName) ?? tags[0]!;
    const known = byLength.get(layers.length);
    if (!known || (isBaseImageName(ref) && !isBaseImageName(known.ref))) byLength.set(layers.length, base(ref, layers.length));
  }
  return [...byLength.values()].sort((a, b) => a.layers - b.layers);
}
