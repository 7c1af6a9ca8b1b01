import { labSuite } from '../helpers/lab-suite.js';

labSuite({
  lab: 'lab4',
  starterFails: ['multi-stage', 'size', 'no-toolchain'],
  starterMessages: [
    ['no-toolchain', /^found the JDK \(javac, jar, jlink, jmods\): .*jmods\/java\.base\.jmod .*from the base image eclipse-temurin:21-jdk \(FROM on line 3\)/],
    ['no-toolchain', /Java sources and compiled classes outside a jar \(\/app\/classes\/.*\.class, layer \d+, line 7\)/],
  ],
  knownBad: [
    { file: 'sources-shipped', fails: ['no-toolchain'], message: ['no-toolchain', /^found Java sources and compiled classes outside a jar: 5 files, .* in \/app\/src\/dev\/stagecraft\/numerals\/ .*App\.java.*added by `COPY \. \.` \(Dockerfile line 11\)/] },
    { file: 'copy-by-number', fails: ['multi-stage'], message: ['multi-stage', /^line 2: stage 0 \(`FROM eclipse-temurin:21-jdk`\) has no name/] },
    { file: 'no-main-class', fails: ['runs'], message: ['runs', /no main manifest attribute/] },
    { file: 'apt-installed-jre', fails: ['size'], message: ['size', /added by `RUN mkdir -p \/usr\/share\/man\/man1 && apt-get update && apt-get install -y open.*\(Dockerfile line 10\)/] },
    // Alternatives that pass: distroless Java, and the README's stretch, a jlink runtime.
    { file: 'distroless-runtime', fails: [] },
    { file: 'jlink-runtime', fails: [] },
  ],
});
