import { builds, multiStage, noToolchain, runs, size } from '../checks/index.js';
import { JAVA_SOURCES, JDK_TOOLS } from '../findings/index.js';
import { MB } from '../format/bytes.js';
import { defineLab } from '../lab.js';
import { jsonProbe, randomInt, status } from '../run/probes.js';

const ROMAN: [number, string][] = [
  [1000, 'M'],
  [900, 'CM'],
  [500, 'D'],
  [400, 'CD'],
  [100, 'C'],
  [90, 'XC'],
  [50, 'L'],
  [40, 'XL'],
  [10, 'X'],
  [9, 'IX'],
  [5, 'V'],
  [4, 'IV'],
  [1, 'I'],
];

function roman(n: number): string {
  let out = '';
  for (const [value, symbol] of ROMAN) for (; n >= value; n -= value) out += symbol;
  return out;
}

function fibonacci(n: number): string {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a.toString();
}

export default defineLab({
  id: 'lab4-java',
  title: 'JDK in, JRE out',
  app: {
    stampCode: { file: 'src/dev/stagecraft/numerals/App.java', language: 'java' },
    stampIn: 'jar',
    probes: [
      jsonProbe(() => {
        const n = randomInt(1, 4000);
        return { path: `/roman?n=${n}`, expect: { roman: roman(n) } };
      }),
      jsonProbe(() => {
        const n = randomInt(0, 400);
        return { path: `/fib?n=${n}`, expect: { n, value: fibonacci(n) } };
      }),
      jsonProbe(() => {
        const digits = Array.from({ length: randomInt(1, 80) }, () => randomInt(10)).join('');
        return { path: `/digits?of=${digits}`, expect: { sum: [...digits].reduce((s, d) => s + Number(d), 0) } };
      }),
      status('/roman?n=4000', 400),
    ],
  },
  buildNetwork: true, // an alternative the lab tests installs a JRE with apt-get
  checks: [
    builds(),
    multiStage(),
    // Set from upstream: the jar on eclipse-temurin:21-jre is about 266 MB upstream (the JRE
    // is 265 MB), 292 MB on the stand-in (Debian's OpenJDK runtime carries every JDK module
    // in lib/modules). 320 MB leaves either room for a health-check tool (curl, ~10 MB);
    // the JDK (431 MB stand-in, 440 MB upstream) never fits. A jlink runtime is ~120 MB.
    size({ ceiling: 320 * MB }),
    noToolchain({ forbidden: [JDK_TOOLS, JAVA_SOURCES], toolchainImages: ['eclipse-temurin:21-jdk'] }),
    runs({ slide: 'slides/05-java-fan-in.md#5' }),
  ],
});
