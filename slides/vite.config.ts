// Vite settings for every deck.
import { defineConfig } from 'vite';
import { roomBoardUrl } from './components/room-url';

export default defineConfig({
  // Vite's size report gzips every chunk of every deck only to print the sizes.
  build: { reportCompressedSize: false },
  plugins: [
    {
      // Slidev includes its print view (every slide on one page, as `slidev export` sees
      // them) in a built deck only when the deck offers a PDF download, and then exports
      // that PDF during the build on a fixed port, which parallel builds cannot share.
      // The contact sheets (scripts/slides/contact-sheet.ts) need the print view, so the
      // built decks always include it; test/slides/decks.test.ts fails if this stops working.
      name: 'stagecraft:print-view',
      configResolved(config) {
        (config.define ??= {}).__SLIDEV_FEATURE_PRINT__ = 'true';
      },
    },
  ],
  // The room's board on the workshop's "The room, live" slide (components/RoomBoard.vue).
  define: { __STAGECRAFT_ROOM_URL__: JSON.stringify(roomBoardUrl(process.env.STAGECRAFT_ROOM_URL)) },
});
