// Slidev's Markdown hooks for every deck: Dockerfile snippets (see dockerfile-snippets.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defineTransformersSetup } from '@slidev/types';
import { DOCKERFILE_SNIPPET, renderSnippet } from './dockerfile-snippets';

export default defineTransformersSetup(() => ({
  pre: [
    (ctx) => {
      const dir = path.dirname(ctx.slide.source?.filepath ?? ctx.options.entry);
      const resolve = (ref: string) => (ref.startsWith('@/') ? path.resolve(ctx.options.userRoot, ref.slice(2)) : path.resolve(dir, ref));
      // Like Slidev's own `<<<`: the dev server reloads the slide when the file changes.
      const read = (file: string) => {
        (ctx.options.data.watchFiles[file] ??= new Set()).add(ctx.slide.index);
        return readFileSync(file, 'utf8');
      };
      ctx.s.replace(DOCKERFILE_SNIPPET, (_all: string, ref: string, stages?: string, steps?: string, options?: string) => {
        try {
          return renderSnippet(ref, stages, steps, options, resolve, read);
        } catch (e) {
          throw new Error(`${path.relative(ctx.options.userRoot, ctx.slide.source?.filepath ?? '')} (slide ${ctx.slide.index + 1}): ${(e as Error).message}`);
        }
      });
    },
  ],
}));
