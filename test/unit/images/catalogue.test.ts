import { describe, expect, it } from 'vitest';
import { formatBytes, formatChange, formatDuration, plural } from '../../../graders/format/bytes.js';
import { catalogueEntry, isToolchainImage, repositoryOf, tagOf } from '../../../graders/images/catalogue.js';
import { buildOrder } from '../../../graders/standins/provision.js';
import { CATALOGUE } from '../../../graders/images/catalogue.js';

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [5_509_304, '5.51 MB'],
    [20_000_000, '20 MB'],
    [1_020_000_000, '1.02 GB'],
    [950_600_000, '951 MB'],
  ])('formatBytes(%d) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it('says how much smaller or larger', () => {
    expect(formatChange(1_020_000_000, 5_400_000)).toBe('99.5% smaller');
    expect(formatChange(100, 112)).toBe('12.0% larger');
    expect(formatChange(0, 5)).toBe('');
  });

  it('counts and times', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(14151, 'file')).toBe('14,151 files');
    expect(formatDuration(40)).toBe('40 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
  });
});

describe('catalogue', () => {
  it('parses references', () => {
    expect(repositoryOf('docker.io/library/golang:1.24@sha256:abc')).toBe('golang');
    expect(repositoryOf('gcr.io/distroless/static-debian13')).toBe('gcr.io/distroless/static-debian13');
    expect(repositoryOf('localhost:5000/app')).toBe('localhost:5000/app');
    expect(tagOf('localhost:5000/app')).toBe('latest');
    expect(tagOf('golang:1.24-trixie')).toBe('1.24-trixie');
  });

  it('finds catalogue entries under equivalent names', () => {
    expect(catalogueEntry('docker.io/library/golang:1.24-trixie')?.ref).toBe('golang:1.24-trixie');
    expect(catalogueEntry('gcr.io/distroless/static-debian13:latest')?.ref).toBe('gcr.io/distroless/static-debian13');
  });

  it.each([
    ['golang:1.24-trixie', true],
    ['golang:1.23-alpine', true],
    ['node:20-trixie', true],
    ['node:20-trixie-slim', false],
    ['python:3.13-slim-trixie', false],
    ['python:3.13', true],
    ['eclipse-temurin:21-jdk', true],
    ['eclipse-temurin:21-jre', false],
    ['openjdk:21', true],
    ['gcr.io/distroless/static-debian13', false],
    ['debian:trixie-slim', false],
    ['scratch', false],
  ])('isToolchainImage(%s) = %s', (ref, expected) => expect(isToolchainImage(ref)).toBe(expected));

  it('builds parents before the stand-ins that start FROM them', () => {
    const order = buildOrder([...CATALOGUE].reverse()).map((i) => i.ref);
    for (const img of CATALOGUE) {
      if ('from' in img.standIn) for (const parent of img.standIn.from) expect(order.indexOf(parent)).toBeLessThan(order.indexOf(img.ref));
    }
    expect(order[0]).toBe('debian:trixie-slim');
  });
});
