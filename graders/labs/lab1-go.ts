import { builds, multiStage, noToolchain, runs, size } from '../checks/index.js';
import { GCC, GO_SOURCES, GO_TOOLCHAIN } from '../findings/index.js';
import { MB } from '../format/bytes.js';
import { defineLab } from '../lab.js';
import { jsonProbe, randomInt, randomText } from '../run/probes.js';

/** The primes below n, as the app must count them. */
function primeFacts(n: number): { count: number; largest: number } {
  const composite = new Uint8Array(n);
  let count = 0;
  let largest = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    largest = i;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return { count, largest };
}

export default defineLab({
  id: 'lab1-go',
  title: 'Go to scratch',
  app: {
    stampCode: { file: 'main.go', language: 'go' },
    probes: [
      jsonProbe(() => {
        const text = randomText();
        return { path: `/reverse?text=${encodeURIComponent(text)}`, expect: { result: [...text].reverse().join('') } };
      }),
      jsonProbe(() => {
        const words = randomInt(0, 12);
        return { path: `/wordcount?text=${encodeURIComponent(randomText(words))}`, expect: { words } };
      }),
      jsonProbe(() => {
        const below = randomInt(2, 200_000);
        return { path: `/primes?below=${below}`, expect: primeFacts(below) };
      }),
    ],
  },
  checks: [
    builds(),
    multiStage(),
    size({ ceiling: 20 * MB }),
    noToolchain({ forbidden: [GO_TOOLCHAIN, GCC, GO_SOURCES], toolchainImages: ['golang:1.24-trixie'] }),
    runs(),
  ],
});
