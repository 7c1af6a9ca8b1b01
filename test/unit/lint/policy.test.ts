import { describe, expect, it } from 'vitest';
import { builds } from '../../../graders/checks/builds.js';
import { parseDockerfile, type ParsedDockerfile } from '../../../graders/lint/dockerfile.js';
import { vet, vetBytes } from '../../../graders/lint/policy.js';
import { evaluateChecks } from '../../../graders/pipeline/evaluate.js';
import { size } from '../../../graders/checks/size.js';

function parsed(text: string): ParsedDockerfile {
  const r = parseDockerfile(text);
  if (!r.ok) throw new Error(r.problem.message);
  return r.dockerfile;
}

describe('the build policy', () => {
  it.each([
    'ADD http://127.0.0.1:8080/stamp /stamp',
    'ADD https://example.org/tool.tgz /opt/',
    'ADD --chmod=755 https://example.org/x /x',
    'ADD git@github.com:someone/repo.git /src',
  ])('refuses %j, naming its line', (line) => {
    const refusal = vet(parsed(`FROM scratch\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toMatch(/^line 2: `ADD .*` downloads from a URL; .* COPY it by its name$/);
  });

  it('lets ADD of a local file and COPY through', () => {
    expect(vet(parsed('FROM scratch\nADD app.tar.gz /\nCOPY http.go /src/\n'))).toBeUndefined();
  });

  it.each([
    [
      'RUN --network=host curl http://127.0.0.1:2375/info',
      /^line 2: `RUN --network=host curl .*` asks for the grading machine's own network; graded builds never get it: remove the --network=host flag$/,
    ],
    [
      'RUN --security=insecure mount -t tmpfs none /mnt',
      /^line 2: `RUN --security=insecure mount .*` asks for every privilege of the grading machine; .* remove the --security=insecure flag$/,
    ],
  ])('refuses %j: no entitlement is ever granted', (line, message) => {
    const refusal = vet(parsed(`FROM debian:trixie-slim\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toMatch(message);
  });

  it('lets RUN --network=none and --mount through', () => {
    expect(vet(parsed('FROM debian:trixie-slim\nRUN --network=none --mount=type=cache,target=/c true\n'))).toBeUndefined();
  });

  it('refuses more than 32 stages or 500 instructions, in one line', () => {
    expect(vet(parsed('FROM scratch\n'.repeat(300)))).toEqual({
      line: 33,
      message: 'the Dockerfile has 300 stages (FROM lines); the grader builds at most 32, and a lab needs two to four',
    });
    expect(vet(parsed(`FROM scratch\n${'LABEL a=b\n'.repeat(600)}`))).toEqual({
      message: 'the Dockerfile has 601 instructions; the grader builds at most 500, and a lab needs a few dozen',
    });
    expect(vet(parsed(`${'FROM scratch\n'.repeat(32)}${'LABEL a=b\n'.repeat(468)}`))).toBeUndefined();
  });

  it('a refusal fails builds with its line, and every check that needs a build is skipped with the reason', () => {
    const df = 'FROM scratch\nADD http://127.0.0.1:1/x /x\n';
    const lint = parseDockerfile(df);
    const refusal = lint.ok ? vet(lint.dockerfile) : undefined;
    const [b, s] = evaluateChecks([builds(), size({ ceiling: 1 })], { lint, refusal });
    expect(b).toMatchObject({ passed: false, skipped: false, details: { line: 2 } });
    expect(b!.message).toMatch(/^refused: line 2: /);
    expect(s).toMatchObject({ passed: false, skipped: true, message: 'skipped: the Dockerfile was refused, so nothing was built' });
  });
});

describe('only known images feed a grade', () => {
  it.each([
    ['FROM stagecraft/lab1-go\n', 1, 'stagecraft/lab1-go'],
    ['FROM golang:1.24-trixie AS build\nFROM scratch\nCOPY --from=stagecraft/lab1-go /wordsmith /wordsmith\n', 3, 'stagecraft/lab1-go'],
    [
      'FROM golang:1.24-trixie AS build\nRUN --mount=type=bind,from=ghcr.io/someone/prebuilt:1,source=/app,target=/x cp /x /out\n',
      2,
      'ghcr.io/someone/prebuilt:1',
    ],
    ['FROM golang:1.24\n', 1, 'golang:1.24'],
    ['FROM docker.io/someone/golang:1.24-trixie\n', 1, 'docker.io/someone/golang:1.24-trixie'],
  ])('refuses %j with one line that lists what is allowed', (text, line, ref) => {
    const refusal = vet(parsed(text));
    expect(refusal?.line).toBe(line);
    expect(refusal?.message).toContain(`uses the image ${ref}, which this lab does not allow`);
    expect(refusal?.message).toMatch(
      /a stage of this Dockerfile, scratch, or one of: debian:trixie-slim, golang:1\.24-trixie, .*eclipse-temurin:21-jre, gcr\.io\/distroless\/… \(any image and tag\), alpine, .*eclipse-temurin:…$/,
    );
    expect(refusal?.message).not.toContain('\n');
  });

  it.each([
    'FROM golang:1.24-trixie AS build\nFROM gcr.io/distroless/static-debian13:nonroot\nCOPY --from=build /a /a\n',
    'FROM golang:1.24-alpine AS build\nFROM alpine:3.22\nCOPY --from=build /a /a\n',
    'FROM alpine\n',
    'FROM node:20-alpine AS b\nFROM node:22-bookworm-slim\nCOPY --from=b /a /a\n',
    'FROM python:3.13-slim-bookworm\n',
    'FROM eclipse-temurin:21-jre-alpine\n',
    'FROM docker.io/library/golang:1.24-trixie@sha256:0123 AS b\nFROM b\n',
    'FROM scratch\nCOPY --from=0 /a /a\n',
    'ARG BASE=debian:trixie-slim\nFROM ${BASE}\n',
  ])('allows %j: the catalogue, the online images, stages and scratch', (text) => {
    expect(vet(parsed(text))).toBeUndefined();
  });

  it('a lab or an instructor extends the list', () => {
    const df = parsed('FROM registry.example.edu/course/golang:1.24\n');
    expect(vet(df)).toBeDefined();
    expect(vet(df, { allowImages: ['registry.example.edu/course/*'] })).toBeUndefined();
  });
});

describe('the app is built, not embedded', () => {
  const refusal = (text: string) => vetBytes(Buffer.from(text)) ?? vet(parsed(text));

  it('refuses a heredoc, a base64 blob and a hex blob, naming the line', () => {
    const blob = 'f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAA'.repeat(20);
    expect(refusal(`FROM debian:trixie-slim\nRUN echo ${blob} | base64 -d > /app\n`)?.message).toMatch(/^line 2: .* carries 640 characters of encoded data/);
    expect(refusal(`FROM debian:trixie-slim\nRUN printf '${'\\x7f'.repeat(40)}' > /app\n`)?.line).toBe(2);
  });

  it('refuses a Dockerfile far larger than a teaching one, and passes the reference solutions', async () => {
    expect(vetBytes(Buffer.alloc(40_000, '#'))?.message).toMatch(/^the Dockerfile is 39 kB, far more than a teaching Dockerfile needs/);
    const { readFile, readdir } = await import('node:fs/promises');
    for (const lab of await readdir('solutions')) {
      const text = await readFile(`solutions/${lab}/Dockerfile`, 'utf8');
      expect(refusal(text), lab).toBeUndefined();
    }
  });
});

describe('instructions read the way BuildKit reads them (issue 20)', () => {
  it.each([
    ['ADD ["http://127.0.0.1:8080/", "/x"]', 'downloads from a URL'],
    ['ADD ["https://example.org/a.tgz", "/opt/"]', 'downloads from a URL'],
    ['ADD https://github.com/someone/tool.git#main /src', 'downloads from a URL'],
    ['ADD "http://127.0.0.1:8080/" /x', 'downloads from a URL'],
    ['ADD h\\ttp://127.0.0.1:8080/ /x', 'downloads from a URL'],
    ['ADD ./a"b" /x', 'with quotes or backslashes'],
  ])('item 4: refuses %j, an ADD that is not a literal local path', (line, why) => {
    const refusal = vet(parsed(`FROM debian:trixie-slim\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toContain(why);
    expect(refusal?.message).toMatch(/put the file in the folder and COPY it by its name$/);
  });

  it.each(['ADD $U /x', 'ADD ${U} /x', 'ADD ["${U}", "/x"]', 'ADD ${U:-http://127.0.0.1:8080/} /x'])(
    'item 4: refuses %j after `ARG U=http://127.0.0.1:8080/`: a build argument can become a URL',
    (line) => {
      const refusal = vet(parsed(`FROM debian:trixie-slim\nARG U=http://127.0.0.1:8080/\n${line}\n`));
      expect(refusal?.line).toBe(3);
      expect(refusal?.message).toMatch(/takes its source from a build argument \(\$\{?U/);
    },
  );

  it('item 4: ADD of local files, archives and a heredoc of a config file still builds', () => {
    expect(vet(parsed('FROM debian:trixie-slim\nADD app.tar.gz /opt/\nADD ["a b.txt", "/x/"]\nADD --chown=1000 static/ /srv/\n'))).toBeUndefined();
  });

  it('item 5: a cache mount whose target hides an id behind a backslash is refused', () => {
    const refusal = vet(parsed('FROM golang:1.24-trixie\nRUN --mount=type=cache,target=/c\\,id=X cat /c/planted\n'));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toMatch(
      /^line 2: the --mount of `RUN .*` has a backslash escape, which Docker versions read differently; write it without backslashes$/,
    );
  });

  it.each([
    ['RUN --mount=type=cache,target=/c,id=a,ID=b true', 'gives id twice'],
    ['RUN --mount=type=cache,target=/c,dst=/d true', 'gives target twice'],
    ['RUN --mount=type=cache,id=$CACHE,target=/c true', 'names its id with a build argument'],
    ['RUN --mount=type=$T,target=/c true', 'names its type with a build argument'],
    ['RUN --mount=type=cache,target="/a b" true', 'whose value holds a space'],
    ["RUN --mount='type=cache,\"target=/c' true", 'cannot be read (a quoted field is not closed)'],
  ])('item 5: refuses %j: a mount the grader cannot rebuild field for field', (line, why) => {
    const refusal = vet(parsed(`FROM golang:1.24-trixie\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toContain(why);
  });

  it.each([
    'RUN --mount=type=bind,"from=stagecraft/lab1-go",source=/,target=/x cp -r /x /out',
    'RUN --mount=type=bind,FROM=stagecraft/lab1-go,source=/,target=/x cp -r /x /out',
    'RUN --mount="type=bind,From=stagecraft/lab1-go,source=/,target=/x" cp -r /x /out',
    'RUN --mount=type=cache,from=stagecraft/lab1-go,target=/x cp -r /x /out',
    'COPY --from="stagecraft/lab1-go" /wordsmith /wordsmith',
    'COPY --link --from=stagecraft/lab1-go /wordsmith /wordsmith',
  ])('item 6: refuses %j: from= in any spelling is checked against the allow-list', (line) => {
    const refusal = vet(parsed(`FROM golang:1.24-trixie AS build\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toContain('uses the image stagecraft/lab1-go, which this lab does not allow');
  });

  it('refuses a flag whose value follows a space (`--from image`), which newer BuildKit reads and dockerfile tools do not', () => {
    const refusal = vet(parsed('FROM golang:1.24-trixie AS build\nCOPY --from stagecraft/lab1-go /wordsmith /wordsmith\n'));
    expect(refusal?.message).toBe(
      'line 2: `COPY --from stagecraft/lab1-go /wordsmith /wordsmith` gives --from its value after a space; write it with an equals sign, `--from=stagecraft/lab1-go`, which every Docker version reads the same way',
    );
    expect(vet(parsed('FROM golang:1.24-trixie AS build\nRUN --mount type=cache,id=X,target=/c true\n'))?.message).toContain(
      'gives --mount its value after a space',
    );
  });
});

describe('ARG and ENV expansion evaluated first, with a cap (issue 20 item 2)', () => {
  it('refuses self-doubling ENV A=$A$A in one line naming the line, in milliseconds', () => {
    const text = `FROM debian:trixie-slim\nENV A=0123456789abcdef\n${'ENV A=$A$A\n'.repeat(20)}`;
    const started = performance.now();
    const refusal = vet(parsed(text));
    expect(performance.now() - started).toBeLessThan(200);
    // 16 characters doubled: 4,096 after 8 lines (line 10), past the cap at the 9th (line 11).
    expect(refusal?.line).toBe(11);
    expect(refusal?.message).toMatch(/^line 11: `ENV A=\$A\$A` makes A longer than 4,096 characters; the grader expands ARG and ENV values itself/);
    expect(refusal?.message).not.toContain('\n');
  });

  it.each([
    ['ARG doubling', `FROM debian:trixie-slim\nARG A=0123456789abcdef\n${'ARG A=$A$A\n'.repeat(20)}`, 11],
    [
      'doubling across stages',
      `FROM debian:trixie-slim AS one\nENV A=0123456789abcdef\n${'ENV A=${A}${A}\n'.repeat(6)}FROM one\n${'ENV A="$A$A"\n'.repeat(6)}`,
      12,
    ],
    ['a default that doubles', `FROM debian:trixie-slim\nENV A=0123456789abcdef\n${'ENV A=${B:-$A$A}\n'.repeat(20)}`, 11],
    [
      'a substitution that squares',
      'FROM debian:trixie-slim\nENV A=0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\nENV B=${A//?/$A}\n',
      3,
    ],
    ['global ARG doubling, before the first FROM', `ARG A=0123456789abcdef\n${'ARG A=$A$A\n'.repeat(20)}FROM debian:trixie-slim\n`, 10],
  ])('refuses %s', (_, text, line) => {
    expect(vet(parsed(text))?.line).toBe(line);
  });

  it('refuses many references to a large value, in total', () => {
    const text = `FROM debian:trixie-slim\nENV A=${'x'.repeat(1000)}\n${'LABEL a=$A$A$A$A\n'.repeat(20)}`;
    expect(vet(parsed(text))?.message).toMatch(/more than 65,536 characters/);
  });

  it('lets honest ARG and ENV through', () => {
    expect(
      vet(
        parsed(
          'ARG GO=1.24\nFROM golang:${GO}-trixie\nARG GO\nENV PATH=/usr/local/go/bin:$PATH GOFLAGS="-trimpath -mod=readonly"\nENV CGO_ENABLED=0\nWORKDIR /src/${GO}\nLABEL version="${GO:-dev}"\n',
        ),
      ),
    ).toBeUndefined();
  });
});

describe('heredocs: shell commands are fine, the app carried in the Dockerfile is not (issue 21 item 1)', () => {
  const refusal = (text: string) => vetBytes(Buffer.from(text)) ?? vet(parsed(text));

  it.each([
    'FROM golang:1.24-trixie AS build\nWORKDIR /src\nCOPY . .\nRUN <<EOF\nset -eux\ngo vet ./...\nCGO_ENABLED=0 go build -o /out/app .\nEOF\n',
    'FROM debian:trixie-slim\nRUN <<EOT bash\n  apt-get update && apt-get install -y --no-install-recommends ca-certificates\n  rm -rf /var/lib/apt/lists/*\nEOT\n',
    'FROM eclipse-temurin:21-jdk AS build\nCOPY src src\nRUN <<-EOF\n\tfind src -name "*.java" > sources.txt\n\tjavac -d out @sources.txt\n\tjar --create --file app.jar -C out .\n\tEOF\n',
    'FROM debian:trixie-slim\nCOPY <<EOF /etc/app.conf\nlisten=8080\nEOF\n',
    'FROM golang:1.24-trixie AS build\nCOPY --link --chmod=755 . /src\n',
  ])('allows %j', (text) => {
    expect(refusal(text)).toBeUndefined();
  });

  it.each([
    ['FROM golang:1.24-trixie\nCOPY <<EOF /app/main.go\npackage main\nfunc main() {}\nEOF\n', '/app/main.go'],
    ['FROM golang:1.24-trixie\nRUN cat > main.go <<EOF\npackage main\nfunc main() {}\nEOF\n', 'main.go'],
    ["FROM golang:1.24-trixie\nRUN <<EOF\nmkdir -p /src\ncat > /src/main.go <<'GO'\npackage main\nGO\ngo build -o /app /src/main.go\nEOF\n", '/src/main.go'],
    ['FROM node:22-bookworm-slim\nCOPY <<EOF /app/server\n#!/usr/bin/env node\nrequire("http").createServer().listen(8080)\nEOF\n', '/app/server'],
    ['FROM node:22-bookworm-slim\nRUN echo "require(\'http\').createServer().listen(8080)" > /app/index.js\n', '/app/index.js'],
  ])('refuses %j: it writes the app from the Dockerfile', (text, file) => {
    const r = refusal(text);
    expect(r?.line).toBe(2);
    expect(r?.message).toContain(
      `writes ${file} from text in the Dockerfile; the app must be built from the lab's own sources: keep ${file.split('/').at(-1)} in the lab folder and COPY it in`,
    );
    expect(r?.hint).toMatch(/^Heredocs of shell commands are fine/);
  });

  it('refuses base64 carried in a heredoc, wrapped at 76 columns', () => {
    const lines = Array.from({ length: 8 }, () => 'f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAf0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAf0VMRgIBAQAA');
    const r = refusal(`FROM debian:trixie-slim\nRUN base64 -d > /app <<EOF\n${lines.join('\n')}\nEOF\n`);
    expect(r?.message).toMatch(/^line 2: .* carries 608 characters of encoded data/);
  });
});
