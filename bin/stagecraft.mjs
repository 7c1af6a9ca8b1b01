#!/usr/bin/env node
// The graders are TypeScript; tsx loads them without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../graders/cli/main.ts');
await main(process.argv);
