import { describe, expect, it } from 'vitest';
import { installsDependencies, runScript, simpleCommands, type Ecosystem } from '../../../graders/checks/install-step.js';

/** Whether `RUN <run>` installs the dependencies, read as cache-friendly reads a RUN. */
const isInstall = (run: string, ecosystem: Ecosystem) => installsDependencies(runScript(`RUN ${run}`), [ecosystem]);

describe('the dependency install, from what a RUN step does', () => {
  it('splits a command line into its commands, looking into sh -c', () => {
    expect(
      simpleCommands(`corepack enable && CI=1 pnpm install --frozen-lockfile; npm i -g pnpm | tee log || sh -c 'yarn install' 2>/dev/null`).map((c) =>
        [c.program, ...c.args].join(' '),
      ),
    ).toEqual(['corepack enable', 'pnpm install --frozen-lockfile', 'npm i -g pnpm', 'tee log', 'yarn install']);
  });

  it.each([
    'npm ci',
    'npm install',
    'npm i --omit=dev',
    '--mount=type=cache,target=/root/.npm npm ci',
    'npm ci 2>&1',
    'corepack enable && pnpm install --frozen-lockfile',
    'corepack enable pnpm && corepack pnpm install',
    'npm install -g pnpm && pnpm install',
    'npx --yes pnpm@9 install',
    'pnpm fetch',
    'pnpm -C app i',
    'yarn',
    'yarn --frozen-lockfile',
    'yarn install --immutable',
    'yarn workspaces focus --production',
    'corepack yarn install',
    'sudo -E npm ci',
    '["npm", "ci"]',
    '["/bin/sh", "-c", "npm ci && npm run build"]',
    '<<EOF\nset -eux\nnpm ci\nnpm run build\nEOF',
    '--mount=type=cache,target=/root/.npm <<EOF\nnpm ci\nEOF',
    'bash -e <<SCRIPT\ncorepack enable\npnpm install --frozen-lockfile\nSCRIPT',
    '<<-EOF\n\tnpm ci\n\tEOF',
    '<<"EOF"\nyarn install --immutable\nEOF',
  ])('node: %j is the install', (run) => {
    expect(isInstall(run, 'node')).toBe(true);
  });

  it.each([
    'npm install -g pnpm',
    'npm i --global pnpm@9',
    'corepack enable',
    'corepack prepare pnpm@9 --activate',
    'npm run build',
    'npm install typescript',
    'pnpm add -g tsx',
    'pnpm run build',
    'yarn build',
    'yarn global add typescript',
    'echo npm ci',
    'apt-get install -y nodejs npm',
    'pip install -r requirements.txt',
    'cat <<EOF > notes.txt\nnpm ci\nEOF',
    '<<EOF\nnpm install -g pnpm\ncorepack enable\nEOF',
  ])('node: %j is not the install', (run) => {
    expect(isInstall(run, 'node')).toBe(false);
  });

  it.each([
    ['python', 'pip install --no-cache-dir -r requirements.txt'],
    ['python', 'python3 -m pip install -r requirements.txt'],
    ['python', 'pip install flask gunicorn'],
    ['python', 'uv sync --frozen'],
    ['python', 'uv pip install -r requirements.txt'],
    ['python', 'poetry install --no-root'],
    ['java', 'mvn -B dependency:go-offline'],
    ['java', './mvnw dependency:resolve'],
    ['java', 'gradle --no-daemon dependencies'],
    ['java', './gradlew dependencies'],
    ['go', 'go mod download'],
    ['go', '--mount=type=cache,target=/go/pkg/mod go mod download -x'],
    ['go', '<<EOF\nset -eux\ngo mod download\ngo vet ./...\nEOF'],
    ['python', 'sh <<EOF\npip install -r requirements.txt\nEOF'],
  ] as const)('%s: %j is the install', (ecosystem, run) => {
    expect(isInstall(run, ecosystem)).toBe(true);
  });

  it.each([
    ['python', 'pip install --upgrade pip setuptools wheel'],
    ['python', 'pip install poetry==1.8'],
    ['python', 'uv venv /venv'],
    ['java', 'mvn -B package'],
    ['java', 'gradle build'],
    ['go', 'go build ./...'],
    ['go', 'go mod tidy'],
    ['go', 'npm ci'],
    ['python', 'python3 <<EOF\nimport os\nprint("pip install -r requirements.txt")\nEOF'],
  ] as const)('%s: %j is not the install', (ecosystem, run) => {
    expect(isInstall(run, ecosystem)).toBe(false);
  });
});
