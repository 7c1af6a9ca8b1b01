// The static server lives with the slide scripts (the contact sheets need it too).
export { serveFolder } from '../../scripts/slides/static-server.js';
