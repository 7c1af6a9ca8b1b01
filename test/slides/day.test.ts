import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { load } from '@slidev/parser/fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../graders/kit/locations.js';
import { SLIDES_DIR } from '../../scripts/slides/decks.js';
import { labFacts } from '../../scripts/slides/facts.js';

const run = promisify(execFile);

interface Slot {
  start: string;
  end: string;
  modules?: number[];
  what?: string;
  labs?: string;
  pause?: string;
}
interface Day {
  slots: Slot[];
  cuts: { what: string; saves: number; drops: string[] }[];
}

/** What every working slot keeps for questions, set-up trouble and overruns. */
const SPARE = 5;

const clock = (t: string) => {
  const m = /^(\d\d):(\d\d)$/.exec(t);
  if (!m) throw new Error(`"${t}" is not a time of day (HH:MM)`);
  return Number(m[1]) * 60 + Number(m[2]);
};
/** `[2.5 min] …` at the start of a slide's notes. */
const minutes = (note: string | undefined) => Number(/^\s*\[(\d+(?:\.\d+)?) min\]/.exec(note ?? '')?.[1] ?? NaN);

async function theDay(): Promise<Day> {
  return JSON.parse(await readFile(path.join(SLIDES_DIR, 'data', 'day.json'), 'utf8')) as Day;
}

/** Each workshop slide's module (0 before the first module, the last module's number after it), its minutes and its lab time. */
async function workshopSlides() {
  const slides = (await load(SLIDES_DIR, path.join(SLIDES_DIR, 'workshop.md'))).slides;
  let module = 0;
  return slides.map((s) => {
    if (s.frontmatter.layout === 'module') module = Number(s.frontmatter.module);
    return {
      n: s.index + 1,
      title: s.title ?? '',
      module,
      talk: minutes(s.note),
      lab: Number(s.frontmatter.labTime ?? 0),
      content: s.content,
      note: s.note ?? '',
    };
  });
}

/** What each slot holds: the talk's minutes (notes) and the labs' minutes. */
async function slotContents(day: Day) {
  const slides = await workshopSlides();
  const work = day.slots.filter((s) => s.modules);
  const first = Math.min(...work.flatMap((s) => s.modules!));
  return work.map((slot) => {
    const mine = slides.filter((s) => slot.modules!.includes(s.module === 0 ? first : s.module));
    const talk = mine.reduce((sum, s) => sum + s.talk, 0);
    const lab = mine.reduce((sum, s) => sum + s.lab, 0);
    return { slot, talk, lab, length: clock(slot.end) - clock(slot.start) };
  });
}

describe('the workshop day (slides/data/day.json): a run sheet that fits 9 to 5', () => {
  it('runs from 09:00 to 17:00 without gaps, with a lunch and two breaks, every module once', async () => {
    const day = await theDay();
    expect(day.slots[0]!.start).toBe('09:00');
    expect(day.slots.at(-1)!.end).toBe('17:00');
    for (const [a, b] of day.slots.slice(0, -1).map((s, i) => [s, day.slots[i + 1]!] as const)) expect(b.start, `after ${a.start}–${a.end}`).toBe(a.end);
    for (const s of day.slots) expect(clock(s.end), `${s.start}–${s.end}`).toBeGreaterThan(clock(s.start));
    expect(day.slots.filter((s) => s.pause === 'Lunch').length).toBe(1);
    expect(day.slots.filter((s) => s.pause === 'Break').length).toBe(2);
    const lunch = day.slots.find((s) => s.pause === 'Lunch')!;
    expect(clock(lunch.end) - clock(lunch.start), 'lunch, minutes').toBeGreaterThanOrEqual(45);
    expect(day.slots.flatMap((s) => s.modules ?? [])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(day.cuts.length, 'a cut list').toBeGreaterThanOrEqual(3);
  });

  it(`every slot's talk (the notes' minutes) and labs (each lab slide's labTime) fit in it with ${SPARE} minutes spare`, async () => {
    const tight: string[] = [];
    for (const { slot, talk, lab, length } of await slotContents(await theDay())) {
      if (length - (talk + lab) < SPARE)
        tight.push(
          `${slot.start}–${slot.end} (${slot.what}): ${talk} min of talk + ${lab} min of labs = ${talk + lab} min in a ${length}-minute slot, ${length - talk - lab} min spare`,
        );
    }
    expect(tight, `slots with less than ${SPARE} minutes spare`).toEqual([]);
  });

  it('"Before we start": the minutes the slide gives the room to reach 5/5 are in its slot', async () => {
    const slides = await workshopSlides();
    const slide = slides.find((s) => s.title.startsWith('Before we start'))!;
    const words = [
      'zero',
      'one',
      'two',
      'three',
      'four',
      'five',
      'six',
      'seven',
      'eight',
      'nine',
      'ten',
      'eleven',
      'twelve',
      'thirteen',
      'fourteen',
      'fifteen',
    ];
    const allowed = /\bin (\d+|[a-z]+) minutes\b/.exec(slide.content);
    expect(allowed, 'the slide says how long the set-up check may take ("in ten minutes")').not.toBeNull();
    const given = /^\d+$/.test(allowed![1]!) ? Number(allowed![1]) : words.indexOf(allowed![1]!);
    expect(given, `"${allowed![0]}"`).toBeGreaterThan(0);
    // The slide's own minutes (its notes) are what the slot counts for it.
    expect(slide.talk, `slide ${slide.n}'s notes give it ${slide.talk} min; the slide allows ${given}`).toBeGreaterThanOrEqual(given);
  });

  it('the whole day: talk and labs leave room for questions and set-up (at least 15 minutes)', async () => {
    const day = await theDay();
    const contents = await slotContents(day);
    const used = contents.reduce((s, c) => s + c.talk + c.lab, 0);
    const room = contents.reduce((s, c) => s + c.length, 0);
    expect(
      contents.reduce((s, c) => s + c.lab, 0),
      'six labs, 200 minutes',
    ).toBe(200);
    expect(room - used, `${used} min of content in ${room} min of working time`).toBeGreaterThanOrEqual(15);
  });

  it("every workshop slide's notes start with its minutes (a slide without them would not be counted)", async () => {
    const uncounted = (await workshopSlides()).filter((s) => !(s.talk >= 0)).map((s) => `slide ${s.n} "${s.title}"`);
    expect(uncounted, 'notes that do not start with "[N min]"').toEqual([]);
  });

  it('the cut list names slides that exist, and saves only time that is in the plan', async () => {
    const day = await theDay();
    const slides = (await workshopSlides()).map((s) => ({ ...s, title: s.title.replace(/`/g, '') }));
    for (const cut of day.cuts) {
      for (const [, named] of cut.what.matchAll(/"([^"]+)"/g))
        expect(
          slides.some((s) => s.title.startsWith(named!)),
          `cut "${cut.what}": no slide titled ${named}`,
        ).toBe(true);
      expect(cut.saves, cut.what).toBeGreaterThan(0);
      // What a cut saves comes out of the slides it drops: their notes' minutes and their labs' time, as the slots count them.
      expect(cut.drops?.length, `cut "${cut.what}": drops, the slides it takes its time from`).toBeGreaterThan(0);
      const dropped = new Set<number>();
      for (const prefix of cut.drops) {
        const found = slides.filter((s) => s.title.startsWith(prefix));
        expect(found.length, `cut "${cut.what}": no workshop slide titled "${prefix}…"`).toBeGreaterThan(0);
        for (const s of found) dropped.add(s.n);
      }
      const inPlan = slides.filter((s) => dropped.has(s.n)).reduce((sum, s) => sum + s.talk + s.lab, 0);
      expect(cut.saves, `cut "${cut.what}" saves ${cut.saves} min of the ${inPlan} min its slides take in the day`).toBeLessThanOrEqual(inPlan);
    }
  });
});

describe('"Before we start": the room\'s set-up says only what the kit does', () => {
  const commands = (text: string) =>
    [...text.matchAll(/npm run (images|grade) ([^\n`]*)/g)].map((m) => ({ script: m[1]!, args: m[2]!.replace(/#.*/, '').trim() }));

  it("the slide and the pre-workshop email use subcommands and flags that exist, and the smoke test's score is lab 1's check count", async () => {
    const slide = (await workshopSlides()).find((s) => s.title.startsWith('Before we start'));
    expect(slide, 'a "Before we start" slide in the workshop deck').toBeDefined();
    const readme = await readFile(path.join(REPO_ROOT, 'labs', 'README.md'), 'utf8');
    const email = readme.slice(readme.indexOf('## Before the workshop'), readme.indexOf('\n## ', readme.indexOf('## Before the workshop') + 1));
    expect(email, 'labs/README.md: "Before the workshop"').toContain('Subject:');
    const images = (await run('npx', ['tsx', 'scripts/images.ts', '--help'], { cwd: REPO_ROOT })).stdout;
    const grade = (await run('node', ['bin/stagecraft.mjs', 'grade', '--help'], { cwd: REPO_ROOT })).stdout;
    const used = [...commands(slide!.content), ...commands(slide!.note), ...commands(email)];
    expect(used.map((c) => c.script)).toEqual(expect.arrayContaining(['images', 'grade']));
    for (const { script, args } of used) {
      const words = args.split(/\s+/).filter((w) => w !== '--');
      if (script === 'images') {
        if (words[0] && !words[0].startsWith('-'))
          expect(images, `npm run images -- ${words[0]}: no such subcommand`).toMatch(new RegExp(`^\\s+${words[0]} `, 'm'));
      } else {
        for (const flag of words.filter((w) => w.startsWith('--'))) expect(grade, `npm run grade … ${flag}: no such option`).toContain(flag);
      }
    }
    // The Node.js versions asked for are the ones package.json accepts (engines: ^20.19 || ^22.12 || >=24).
    const engines = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const minimums = [...engines.matchAll(/(\d+(?:\.\d+)?)/g)].map((m) => m[1]!);
    for (const [where, text] of [
      ['the slide', slide!.content],
      ['the email', email],
    ] as const) {
      for (const v of minimums) expect(text, `${where}: Node.js ${v} (package.json engines: ${engines})`).toContain(v);
    }
    const checks = (await labFacts())['lab1-go']!.checks.length;
    for (const [where, text] of [
      ['the slide', slide!.content],
      ['the email', email],
    ] as const) {
      const score = /(\d+)\/(\d+) checks passed/.exec(text);
      expect(score, `${where}: the smoke test's expected score`).not.toBeNull();
      expect([Number(score![1]), Number(score![2])], `${where}: lab 1 has ${checks} checks`).toEqual([checks, checks]);
    }
  });
});
