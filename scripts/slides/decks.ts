import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from '@slidev/parser/fs';
import { REPO_ROOT } from '../../graders/kit/locations.js';

export const SLIDES_DIR = path.join(REPO_ROOT, 'slides');
export const SLIDES_OUT = path.join(REPO_ROOT, 'dist', 'slides');

export interface Deck {
  /** File name without .md: `02-multi-stage`, `workshop`. */
  name: string;
  file: string;
  title: string;
}

/** Every deck: a Markdown file at the top of slides/ (chapters/ holds the parts they import). */
export function decks(): Deck[] {
  return readdirSync(SLIDES_DIR)
    .filter((f) => f.endsWith('.md'))
    .sort((a, b) => (a === 'workshop.md' ? -1 : b === 'workshop.md' ? 1 : a.localeCompare(b)))
    .map((f) => {
      const file = path.join(SLIDES_DIR, f);
      const title = /^title:\s*"?(.*?)"?\s*$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? f;
      return { name: f.replace(/\.md$/, ''), file, title };
    });
}

/** `02`, `02-multi-stage`, `multi-stage` or `workshop` → the deck. */
export function findDeck(name: string): Deck | undefined {
  return decks().find((d) => d.name === name || d.name.startsWith(`${name}-`) || d.name.replace(/^\d+-/, '') === name);
}

/** The number of slides in a deck, as Slidev counts them (imported decks and chapters included). */
export const slideCount = async (deck: Deck) => (await load(SLIDES_DIR, deck.file)).slides.length;
