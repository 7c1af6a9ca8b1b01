// One formatter for the graders and the decks.
export { formatBytes } from '../../graders/format/bytes'

/** Where the figures come from, so a slide never shows a number without its source. */
export function measuredWith(data: { measuredAt: string; standInBases: string[] }): string {
  const when = `Measured with npm run measure on ${data.measuredAt.slice(0, 10)}`
  return data.standInBases.length ? `${when}, against stand-in base images built from Debian packages.` : `${when}.`
}
