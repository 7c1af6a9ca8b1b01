import express from 'express';
import slugify from 'slugify';
import { z } from 'zod';
import { STAMP } from './stamp.generated.js';
import { summarise } from './stats.js';

const SlugQuery = z.object({ title: z.string().min(1).max(500) });
const StatsQuery = z.object({
  values: z
    .string()
    .transform((s) => s.split(',').map(Number))
    .pipe(z.array(z.number().finite()).min(1).max(1000)),
});

export function createApp() {
  const app = express();

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  // With ?x=N, the stamp function's value for N too.
  app.get('/stamp', (req, res) => {
    const x = typeof req.query.x === 'string' && /^\d{1,10}$/.test(req.query.x) ? Number(req.query.x) : NaN;
    res.type('text/plain').send(x < 2 ** 32 ? `${STAMP} ${stampOf(x)}\n` : `${STAMP}\n`);
  });

  // GET /slug?title=Hello World → {"slug":"hello-world"}
  app.get('/slug', (req, res) => {
    const query = SlugQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'title is required (1–500 characters)' });
    res.json({ slug: slugify(query.data.title, { lower: true, strict: true }) });
  });

  // GET /stats?values=12,5,9 → {"count":3,"min":5,"max":12,"mean":8.667,"median":9}
  app.get('/stats', (req, res) => {
    const query = StatsQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'values must be 1–1000 comma-separated numbers' });
    res.json(summarise(query.data.values));
  });

  return app;
}

// The stamp function. Before every build the grader replaces the lines between the two
// markers with a new function (new steps, new constants) and asks /stamp?x=N for its value:
// only JavaScript compiled from these sources, in the build, answers it right.
// >>> stamp function
export function stampOf(x: number): number {
  return x;
}
// <<< stamp function
