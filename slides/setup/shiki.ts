// Code colours made for projectors (GitHub's high-contrast light theme), and only the
// languages the decks use: loading all of Shiki's grammars slowed every deck's build.
import { defineShikiSetup } from '@slidev/types';

export default defineShikiSetup(() => ({
  themes: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' },
  langs: ['dockerfile', 'bash', 'text', 'json', 'yaml', 'ts', 'js', 'go', 'python', 'markdown', 'vue', 'html', 'css'],
}));
