import { describe, expect, it } from 'vitest';
import { roomBoardUrl } from '../../slides/components/room-url.js';

describe("the room slide: the board's address given at build time (STAGECRAFT_ROOM_URL)", () => {
  it('none given: no frame, so a deck without a room makes no request', () => {
    expect(roomBoardUrl(undefined)).toBe('');
    expect(roomBoardUrl('  ')).toBe('');
  });

  it("the board's address, with or without a path, frames the board at its root", () => {
    expect(roomBoardUrl('http://192.168.1.20:4300')).toBe('http://192.168.1.20:4300/');
    expect(roomBoardUrl('http://192.168.1.20:4300/join/K7P2QX')).toBe('http://192.168.1.20:4300/');
  });

  it("refuses what is not an http address, and the instructor's link (its key would be built into the deck)", () => {
    expect(() => roomBoardUrl('192.168.1.20 port 4300')).toThrow(/is not an address/);
    expect(() => roomBoardUrl('file:///etc/passwd')).toThrow(/http/);
    expect(() => roomBoardUrl('http://192.168.1.20:4300/instructor?key=abc')).toThrow(/instructor's link/);
  });
});
