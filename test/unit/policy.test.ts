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
