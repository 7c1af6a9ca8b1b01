/**
 * The room's board on a workshop slide: its address comes from STAGECRAFT_ROOM_URL when the
 * deck is built or served, or there is none and the slide shows how to add it. Without a
 * room the slide loads nothing (a frame pointing at a room that is not running fails its
 * request in every browser that opens the deck).
 */
export function roomBoardUrl(value: string | undefined): string {
  const text = value?.trim() ?? '';
  if (!text) return '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`STAGECRAFT_ROOM_URL="${text}" is not an address: give the board's, like http://192.168.1.20:4300/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`STAGECRAFT_ROOM_URL="${text}": the board is served over http://, like http://192.168.1.20:4300/`);
  // The instructor's link carries the room's key: it must never end up in a built deck.
  if (url.searchParams.has('key') || url.pathname.startsWith('/instructor'))
    throw new Error("STAGECRAFT_ROOM_URL is the instructor's link: give the board's address (http://<host>:4300/), which carries no key");
  return new URL('/', url).href;
}
