import { labSuite } from '../helpers/lab-suite.js';

labSuite({
  lab: 'lab4',
  starterFails: ['multi-stage', 'size', 'no-toolchain'],
  starterMessages: [
    ['no-toolchain', /^found the JDK \(javac, jar, jlink, jmods\): .*jmods\/java\.base\.jmod .*from the base image eclipse-temurin:21-jdk \(FROM on line 3\)/],
    ['no-toolchain', /^found Java sources and compiled classes outside a jar: .*\/app\/classes\/.*\(Dockerfile line 7\)$/m],
  ],
  knownBad: [
    {
      file: 'sources-shipped',
      fails: ['no-toolchain'],
      message: [
        'no-toolchain',
        /^found Java sources and compiled classes outside a jar: 5 files, .* in \/app\/src\/dev\/stagecraft\/numerals\/ .*App\.java.*added by `COPY \. \.` \(Dockerfile line 11\)/,
      ],
    },
    // The copy by number first (it is what breaks), the missing name on the next line.
    {
      file: 'copy-by-number',
      fails: ['multi-stage'],
      message: [
        'multi-stage',
        /^line 10: `COPY --from=0 \/src\/numerals\.jar \/app\/numerals\.jar` copies by stage number.*\nline 2: stage 0 \(`FROM eclipse-temurin:21-jdk`\) has no name/,
      ],
    },
    { file: 'no-main-class', fails: ['runs'], message: ['runs', /no main manifest attribute/] },
    {
      file: 'apt-installed-jre',
      fails: ['size'],
      message: ['size', /added by `RUN mkdir -p \/usr\/share\/man\/man1 && apt-get update && apt-get install -y open.*\(Dockerfile line 10\)/],
    },
    // Alternatives that pass: distroless Java, and the README's stretch, a jlink runtime.
    { file: 'distroless-runtime', fails: [] },
    // Issue 21: the fix (CMD names only the jar), not a suspicion of a prebuilt app.
    {
      file: 'shell-cmd-distroless',
      fails: ['runs'],
      hint: [
        'runs',
        /^`CMD java -jar \/app\/numerals\.jar` \(Dockerfile line 14\) is in the shell form, .*must name only the jar, in the JSON form: `CMD \["\/app\/numerals\.jar"\]`\.$/,
      ],
    },
    { file: 'jlink-runtime', fails: [] },
    // The JRE with curl for a HEALTHCHECK fits on the stand-in as upstream.
    { file: 'jre-with-curl', fails: [] },
    {
      file: 'classes-not-jar',
      fails: ['no-toolchain'],
      message: ['no-toolchain', /^found Java sources and compiled classes outside a jar: \d+ files, .* in \/app\/classes\/dev\/stagecraft\/numerals\//],
      hint: ['no-toolchain', /^Package the compiled classes into a jar/],
    },
    {
      file: 'jlink-on-distroless-base',
      fails: ['runs'],
      message: ['runs', /libstdc\+\+\.so\.6: cannot open shared object file/],
      hint: ['runs', /distroless\/cc-debian13 has libstdc\+\+/],
    },
  ],
});
