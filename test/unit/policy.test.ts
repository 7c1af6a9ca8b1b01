import { describe, expect, it } from 'vitest';
import { builds } from '../../graders/checks/builds.js';
import { parseDockerfile, type ParsedDockerfile } from '../../graders/lint/dockerfile.js';
import { vet } from '../../graders/lint/policy.js';
import { evaluateChecks } from '../../graders/pipeline/evaluate.js';
import { size } from '../../graders/checks/size.js';

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
    expect(refusal?.message).toMatch(/^line 2: `ADD .*` downloads from a URL; .* COPY it$/);
  });

  it('lets ADD of a local file and COPY through', () => {
    expect(vet(parsed('FROM scratch\nADD app.tar.gz /\nCOPY http.go /src/\n'))).toBeUndefined();
  });

  it.each([
    ['RUN --network=host curl http://127.0.0.1:2375/info', /^line 2: `RUN --network=host curl .*` asks for the grading machine's own network; graded builds never get it: remove the --network=host flag$/],
    ['RUN --security=insecure mount -t tmpfs none /mnt', /^line 2: `RUN --security=insecure mount .*` asks for every privilege of the grading machine; .* remove the --security=insecure flag$/],
  ])('refuses %j: no entitlement is ever granted', (line, message) => {
    const refusal = vet(parsed(`FROM debian:trixie-slim\n${line}\n`));
    expect(refusal?.line).toBe(2);
    expect(refusal?.message).toMatch(message);
  });

  it('lets RUN --network=none and --mount through', () => {
    expect(vet(parsed('FROM debian:trixie-slim\nRUN --network=none --mount=type=cache,target=/c true\n'))).toBeUndefined();
  });

  it('refuses more than 32 stages or 500 instructions, in one line', () => {
    expect(vet(parsed('FROM scratch\n'.repeat(300)))).toEqual({ line: 33, message: 'the Dockerfile has 300 stages (FROM lines); the grader builds at most 32, and a lab needs two to four' });
    expect(vet(parsed(`FROM scratch\n${'LABEL a=b\n'.repeat(600)}`))).toEqual({ message: 'the Dockerfile has 601 instructions; the grader builds at most 500, and a lab needs a few dozen' });
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
