import picomatch from 'picomatch';
import { plural } from '../format/bytes.js';
import { byImportance, findFiles, findingDetails, listFindings, type Finding, type PathRule } from '../findings/index.js';
import type { ImageFacts } from '../inspect/image.js';
import { fail, pass, type Check, type CheckId, type Evidence } from './types.js';

/**
 * The shape of every "these files must not ship" check (no-toolchain, no-caches,
 * no-secrets): the findings of its rules over every layer, deleted files and archives'
 * members included, each distinct finding on its own line with its path, size, layer and
 * Dockerfile line.
 */
export function forbiddenFilesCheck(spec: {
  id: CheckId;
  title: string;
  hint: string;
  slide: string;
  rules: PathRule[];
  /** Toolchain images whose forbidden files are also recognised by their bytes. */
  indexImages?: string[];
  /** no-toolchain: what a runtime base image ships is not the student's finding. */
  skipRuntimeBase?: boolean;
  /** An archive the Dockerfile added that could not be looked into fails the check. */
  readArchives?: boolean;
  /** Archives under these paths are judged by another check (a package manager's cache). */
  archivesIgnoredIn?: string[];
  /** The pass message, given the layer and file counts. */
  clean: (layers: string, files: string) => string;
  /** More findings than files (the image config's, for no-secrets). */
  extra?: (e: Evidence & { image: ImageFacts }) => Finding[];
  /** A hint that fits the first finding better than the check's own. */
  hintFor?: (first: Finding) => string | undefined;
}): Check {
  return {
    id: spec.id,
    title: spec.title,
    hint: spec.hint,
    slide: spec.slide,
    needs: ['layers'],
    content: { rules: spec.rules, images: spec.indexImages ?? [] },
    evaluate(evidence) {
      const { image } = evidence;
      if (image?.scanProblem)
        return fail(
          `the image could not be checked: ${image.scanProblem}`,
          { scanProblem: image.scanProblem },
          'An image for this lab holds a few thousand files with short paths; build one that does.',
        );
      if (!image?.files || !image.layers) return fail('the image was not scanned');
      // An archive too large to look into may hide anything; one that is not a valid archive (test data) hides nothing.
      const ignored = picomatch(spec.archivesIgnoredIn?.length ? spec.archivesIgnoredIn : ['\u0000'], { dot: true });
      const unread = spec.readArchives
        ? image.files.filter(
            (f) => f.notLookedInto && !f.notLookedInto.startsWith('it could not be read') && !ignored(f.path) && image.layers![f.layer]?.instruction,
          )
        : [];
      const findings = [
        ...findFiles(image, spec.rules, { skipRuntimeBase: spec.skipRuntimeBase, known: evidence.known, archivesIgnoredIn: spec.archivesIgnoredIn }),
        ...(spec.extra?.({ ...evidence, image }) ?? []),
      ].sort(byImportance);
      if (findings.length === 0 && unread.length === 0) return pass(spec.clean(plural(image.layers.length, 'layer'), plural(image.files.length, 'file')));
      const notRead = unread.map((f) => `could not look into /${f.path} (layer ${f.layer + 1}): ${f.notLookedInto}`);
      const message = [listFindings(findings, image.layers), ...notRead].filter(Boolean).join('\n');
      return fail(
        message,
        { findings: findingDetails(findings, image.layers), ...(notRead.length ? { notLookedInto: notRead } : {}) },
        findings[0] && spec.hintFor?.(findings[0]),
      );
    },
  };
}
