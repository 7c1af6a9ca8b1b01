import { describe, expect, it } from 'vitest';
import { installsDependencies, simpleCommands } from '../../graders/checks/install-step.js';

describe('the dependency install, from what a RUN step does', () => {
  it('splits a command line into its commands, looking into sh -c', () => {
    expect(simpleCommands(`corepack enable && CI=1 pnpm install --frozen-lockfile; npm i -g pnpm | tee log || sh -c 'yarn install' 2>/dev/null`).map((c) => [c.program, ...c.args].join(' '))).toEqual([
      'corepack enable',
      'pnpm install --frozen-lockfile',
      'npm i -g pnpm',
      'tee log',
      'yarn install',
    ]);
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
    'set -eux\nnpm ci\nnpm run build',
  ])('node: %j is the install', (run) => {
    expect(installsDependencies(run, ['node'])).toBe(true);
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
  ])('node: %j is not the install', (run) => {
    expect(installsDependencies(run, ['node'])).toBe(false);
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
  ] as const)('%s: %j is the install', (ecosystem, run) => {
    expect(installsDependencies(run, [ecosystem])).toBe(true);
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
  ] as const)('%s: %j is not the install', (ecosystem, run) => {
    expect(installsDependencies(run, [ecosystem])).toBe(false);
  });
});
