import { describe, expect, it } from 'vitest';
import { describe as describeInstruction, finalBaseImage, finalChain, parseDockerfile, type ParsedDockerfile } from '../../../graders/lint/dockerfile.js';
import { stageProblems } from '../../../graders/checks/multi-stage.js';

function parsed(text: string): ParsedDockerfile {
  const r = parseDockerfile(text);
  if (!r.ok) throw new Error(r.problem.message);
  return r.dockerfile;
}

describe('parseDockerfile', () => {
  it('derives stages, names, bases and COPY --from edges with their lines', () => {
    const df = parsed(`# comment
FROM golang:1.24-trixie AS Build
WORKDIR /src
COPY . .
RUN go build -o /out/app .

FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`);
    expect(df.stages.map((s) => [s.name, s.base, s.from.line])).toEqual([
      ['build', 'golang:1.24-trixie', 2],
      [undefined, 'scratch', 7],
    ]);
    expect(df.final.index).toBe(1);
    expect(df.copies).toHaveLength(1);
    expect(df.copies[0]).toMatchObject({ from: 'build', fromStage: 0, byIndex: false, sources: ['/out/app'], dest: '/app' });
    expect(df.copies[0]!.instruction.line).toBe(8);
  });

  it('reads JSON-form COPY and numbered --from', () => {
    const df = parsed('FROM golang AS b\nFROM scratch\nCOPY --from=0 ["/a b", "/c"]\n');
    expect(df.copies[0]).toMatchObject({ fromStage: 0, byIndex: true, sources: ['/a b'], dest: '/c' });
  });

  it('applies global ARG defaults to FROM and follows FROM <stage> chains', () => {
    const df = parsed('ARG GO=golang:1.24-trixie\nFROM ${GO} AS build\nFROM build AS test\nRUN true\n');
    expect(df.stages[0]!.base).toBe('golang:1.24-trixie');
    expect(df.stages[1]!.baseStage).toBe(0);
    expect(finalChain(df).map((s) => s.index)).toEqual([0, 1]);
    expect(finalBaseImage(df)).toBe('golang:1.24-trixie');
  });

  it('records the # syntax directive', () => {
    expect(parsed('# syntax=docker/dockerfile:1\nFROM scratch\n').syntax).toBe('docker/dockerfile:1');
  });

  it.each([
    ['FROM scratch\nCOPPY a b\n', /line 2: unknown instruction COPPY/],
    ['# nothing here\n', /no FROM instruction/],
    ['RUN echo hi\nFROM scratch\n', /line 1: RUN comes before the first FROM/],
    ['FROM\n', /line 1: FROM needs an image name/],
  ])('rejects %j with a message naming the line', (text, message) => {
    const r = parseDockerfile(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.message).toMatch(message);
  });

  it('rejects text that is not UTF-8, binary files and huge files', () => {
    const latin1 = Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0xe9, 0x0a]);
    expect(parseDockerfile(latin1)).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/not valid UTF-8/) } });
    expect(parseDockerfile(Buffer.from('FROM x\n\0\0'))).toMatchObject({ ok: false, problem: { message: expect.stringMatching(/NUL/) } });
    const huge = Buffer.alloc(2_000_001, 0x23);
    expect(parseDockerfile(huge)).toMatchObject({
      ok: false,
      problem: { message: expect.stringMatching(/^the Dockerfile is 2 MB; a Dockerfile this large is not read \(limit 100 kB\)$/) },
    });
  });
});

describe('stageProblems (multi-stage)', () => {
  const good = `FROM golang:1.24-trixie AS build
RUN go build -o /out/app .
FROM gcr.io/distroless/static-debian13
COPY --from=build /out/app /app
`;

  it('finds nothing wrong with a named build stage feeding a small final stage', () => {
    expect(stageProblems(parsed(good))).toEqual([]);
  });

  it('flags a single stage', () => {
    expect(stageProblems(parsed('FROM golang:1.24-trixie\nRUN go build .\n'))).toMatchObject([{ line: 1, problem: expect.stringMatching(/only one stage/) }]);
  });

  it('flags COPY --from by index, naming the stage to use instead', () => {
    const problems = stageProblems(parsed(good.replace('--from=build', '--from=0')));
    expect(problems).toMatchObject([{ line: 4, problem: expect.stringMatching(/by stage number: write --from=build/) }]);
  });

  it('flags an unnamed stage that others copy from', () => {
    const problems = stageProblems(parsed('FROM golang:1.24-trixie\nRUN go build .\nFROM scratch\nCOPY --from=0 /x /x\n'));
    // Most important first: the copy by number before the stage's missing name.
    expect(problems.map((p) => p.line)).toEqual([4, 1]);
    expect(problems[1]!.problem).toMatch(/has no name/);
  });

  it('flags a toolchain final stage, also through FROM <stage>', () => {
    const direct = stageProblems(parsed(good.replace('FROM gcr.io/distroless/static-debian13', 'FROM golang:1.24-trixie')));
    expect(direct).toMatchObject([{ line: 3, problem: expect.stringMatching(/golang:1.24-trixie, a toolchain image/) }]);
    const viaStage = stageProblems(
      parsed('FROM node:20-trixie AS deps\nRUN npm ci\nFROM deps AS build\nRUN npm run build\nFROM build\nCOPY --from=deps /a /b\n'),
    );
    expect(viaStage.some((p) => /node:20-trixie, a toolchain image/.test(p.problem))).toBe(true);
  });

  it('flags copying a whole stage file system', () => {
    const problems = stageProblems(parsed(good.replace('/out/app /app', '/ /')));
    expect(problems).toMatchObject([{ line: 4, problem: expect.stringMatching(/whole stage's file system/) }]);
    for (const source of ['/..', '.', '/./', '/*', '//']) {
      expect(
        stageProblems(parsed(good.replace('/out/app /app', `${source} /`))).map((p) => p.kind),
        source,
      ).toEqual(['whole-copy']);
    }
  });

  it('flags a final stage that copies nothing from a build stage', () => {
    const problems = stageProblems(parsed('FROM golang:1.24-trixie AS build\nRUN go build .\nFROM scratch\nCOPY app /app\n'));
    expect(problems).toMatchObject([{ line: 3, problem: expect.stringMatching(/copies nothing/) }]);
  });
});

describe('the largest Dockerfile the grader reads', () => {
  it('is refused past 100 kB, in one line, before it is parsed', () => {
    const r = parseDockerfile(`FROM scratch\n${'# padding\n'.repeat(20_000)}`);
    expect(r).toEqual({ ok: false, problem: { message: 'the Dockerfile is 200 kB; a Dockerfile this large is not read (limit 100 kB)' } });
  });

  it('resolves stage names among thousands of stages, the first stage of a name winning', () => {
    // 2,000 stages within 100 kB, each FROM the one before and copying from the first:
    // every lookup by name (a search per FROM took 30 s on 76,000 FROM lines).
    const lines = ['FROM scratch AS s0', 'FROM scratch AS s0'];
    for (let i = 1; i < 2000; i++) lines.push(`FROM s${i - 1} AS s${i}`, `COPY --from=s0 /a /${i}`);
    const df = parsed(`${lines.join('\n')}\n`);
    expect(df.stages).toHaveLength(2001);
    expect(df.stages[2]!.baseStage).toBe(0);
    expect(df.stages.at(-1)!.baseStage).toBe(1999);
    expect(df.copies.every((c) => c.fromStage === 0)).toBe(true);
    // The check says what is wrong without walking every pair of stages.
    expect(stageProblems(df, { feeders: 2 })).toEqual([{ line: 63, problem: '2,001 stages, more than the 32 the grader builds: a lab needs two to four' }]);
  });
});

describe('reading an instruction as BuildKit does', async () => {
  const { extractFlags, heredocs, instructionFlags, logicalInstruction, parseMount, readCsvRecord } = await import('../../../graders/lint/buildkit.js');
  const { unsupportedByOldFrontend } = await import('../../../graders/pipeline/syntax.js');

  it('flags: quotes and backslashes resolved, a bare flag takes the next word, `--` ends them', () => {
    const r = extractFlags('--from build --mount="type=cache,target=/c" --mount=type=cache,target=/c\\,id=X --network none cp a b');
    // Once a flag had an equals sign, BuildKit 0.2x no longer gives a bare flag the next word.
    expect(r.flags.map((f) => [f.name, f.value, f.spaced])).toEqual([
      ['from', 'build', true],
      ['mount', 'type=cache,target=/c', false],
      ['mount', 'type=cache,target=/c,id=X', false],
      ['network', null, false],
    ]);
    expect(extractFlags('--from build cp a b', false).flags.map((f) => [f.name, f.value])).toEqual([['from', null]]);
    expect(extractFlags('-- --link a b').flags).toEqual([]);
  });

  it('continuation lines joined with the escape character, comment lines dropped, heredoc bodies after', () => {
    const l = logicalInstruction('RUN --mount=type=cache,target=/a `\n  # a comment\n  --network=none <<EOF\necho hi\nEOF', '`');
    expect(l.keyword).toBe('RUN');
    expect(l.rest).toBe('--mount=type=cache,target=/a   --network=none <<EOF');
    expect(l.bodyLines).toEqual(['echo hi', 'EOF']);
    expect(heredocs(l)).toEqual([{ name: 'EOF', chomp: false, body: ['echo hi'] }]);
    expect(heredocs(logicalInstruction('RUN <<-"A" cat >/x\n\tone\n\tA'))).toEqual([{ name: 'A', chomp: true, body: ['one'] }]);
    // BuildKit 0.2x gives a bare --link the next word; older BuildKit does not: both readings are kept.
    const copy = instructionFlags('COPY --link --from=img a /b');
    expect(copy.flags.map((f) => [f.name, f.value])).toEqual([['link', '--from=img']]);
    expect(copy.olderFlags.map((f) => [f.name, f.value])).toEqual([
      ['link', null],
      ['from', 'img'],
    ]);
  });

  it("--mount as Go's encoding/csv and BuildKit read it: quoted fields, doubled quotes, keys in any case", () => {
    expect(readCsvRecord('type=cache,"target=/a,b",id=""x""')).toEqual({ error: 'a quote in the middle of a field' });
    expect(readCsvRecord('type=cache,"target=/a,b","id=""x"""')).toEqual({ fields: ['type=cache', 'target=/a,b', 'id="x"'] });
    expect(readCsvRecord('"a"b')).toEqual({ error: 'a quote in the middle of a quoted field' });
    const m = parseMount('TYPE=cache,Dst=/c,From=img,ro');
    if ('error' in m) throw new Error(m.error);
    expect(m.fields.map((f) => [f.key, f.value])).toEqual([
      ['type', 'cache'],
      ['target', '/c'],
      ['from', 'img'],
      ['readonly', null],
    ]);
  });

  it.each([
    ['FROM scratch\nCOPY --link a /a\n', 2, '`COPY --link`'],
    ['FROM scratch\nADD --checksum=sha256:0 a /a\n', 2, '`ADD --checksum`'],
    ['FROM debian:trixie-slim\nRUN --network=none true\n', 2, '`RUN --network`'],
    ['FROM debian:trixie-slim\nRUN <<EOF\ntrue\nEOF\n', 2, 'a heredoc (`RUN <<EOF`)'],
    ['FROM scratch\nCOPY <<EOF /x\nhi\nEOF\n', 2, 'a heredoc (`COPY <<EOF`)'],
  ])("finds what Docker 20.10's built-in frontend cannot read in %j", (text, line, what) => {
    expect(unsupportedByOldFrontend(parsed(text))).toMatchObject({ line, feature: { what } });
  });

  it('lets through what Docker 20.10 builds: --chmod, --mount, --from', () => {
    expect(
      unsupportedByOldFrontend(parsed('FROM golang:1.24-trixie AS b\nRUN --mount=type=cache,target=/c true\nFROM scratch\nCOPY --chmod=755 --from=b /a /a\n')),
    ).toBeUndefined();
  });
});

describe('an instruction as a message shows it', () => {
  const runOf = (line: string) => parsed(`FROM node:20-trixie\n${line}\n`).stages[0]!.instructions.find((i) => i.keyword === 'RUN')!;

  it('is whole when it fits in 80 characters, mount options included', () => {
    expect(describeInstruction(runOf('RUN --mount=type=cache,target=/root/.npm npm ci'))).toBe('RUN --mount=type=cache,target=/root/.npm npm ci');
  });

  it("gives up a long mount's options before the command: two installs stay told apart", () => {
    const mount = '--mount=type=cache,target=/usr/local/share/.cache/yarn,sharing=locked';
    expect(describeInstruction(runOf(`RUN ${mount} yarn install --non-interactive`))).toBe('RUN --mount=type=cache,… yarn install --non-interactive');
    expect(describeInstruction(runOf(`RUN ${mount} yarn install --production --non-interactive`))).toBe(
      'RUN --mount=type=cache,… yarn install --production --non-interactive',
    );
  });

  it('is cut with an ellipsis when the command itself is too long', () => {
    const shown = describeInstruction(runOf(`RUN echo ${'x'.repeat(100)}`));
    expect(shown).toHaveLength(78);
    expect(shown.endsWith('…')).toBe(true);
  });
});
