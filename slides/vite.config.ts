// Vite settings for every deck.
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The treemap pictures `npm run measure` may have written (public/treemaps/<lab>-<image>.png):
// components/Treemap.vue shows one when it is there, and the layer shares when it is not.
const treemaps = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public', 'treemaps')
const pictures = existsSync(treemaps) ? readdirSync(treemaps).filter((f) => f.endsWith('.png')) : []

export default defineConfig({
  // Vite's size report gzips every chunk of every deck only to print the sizes.
  build: { reportCompressedSize: false },
  define: { __STAGECRAFT_TREEMAPS__: JSON.stringify(pictures) },
  plugins: [
    {
      // Slidev includes its print view (every slide on one page, as `slidev export` sees
      // them) in a built deck only when the deck offers a PDF download, and then exports
      // that PDF during the build on a fixed port, which parallel builds cannot share.
      // The contact sheets (scripts/slides/contact-sheet.ts) need the print view, so the
      // built decks always include it; test/slides/decks.test.ts fails if this stops working.
      name: 'stagecraft:print-view',
      configResolved(config) {
        ;(config.define ??= {}).__SLIDEV_FEATURE_PRINT__ = 'true'
      },
    },
  ],
})
