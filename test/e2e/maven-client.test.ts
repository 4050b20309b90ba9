import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifacts, type JavaArtifact } from '../helpers/maven-artifacts.js';
import { BUILD_PLUGINS, MavenSandbox, missingPlugins, runCommand } from '../helpers/maven-cli.js';
import { DAY, FakeMavenRepository, HOUR } from '../helpers/maven-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

/**
 * The real Maven client (mvn on PATH) compiling a project through pkgproxy from a fake
 * upstream repository. The project depends on org.acme:greeter:[1.0,2.0), whose POM has a
 * parent that pins its own dependency, org.acme.text:shouter. Tests run in order and share
 * the repository and the proxies.
 */

const PARENT: JavaArtifact = {
  groupId: 'org.acme',
  artifactId: 'acme-parent',
  version: '1',
  packaging: 'pom',
  dependencyManagement: [{ groupId: 'org.acme.text', artifactId: 'shouter', version: '1.0.0' }],
};
const SHOUTER: JavaArtifact = {
  groupId: 'org.acme.text',
  artifactId: 'shouter',
  version: '1.0.0',
  sources: { 'org/acme/text/Shouter.java': 'package org.acme.text;\npublic class Shouter {\n  public static String shout(String s) { return s.toUpperCase() + "!"; }\n}\n' },
};
const greeter = (version: string): JavaArtifact => ({
  groupId: 'org.acme',
  artifactId: 'greeter',
  version,
  parent: { groupId: 'org.acme', artifactId: 'acme-parent', version: '1' },
  dependencies: [{ groupId: 'org.acme.text', artifactId: 'shouter' }],
  sources: {
    'org/acme/greeter/Greeter.java': `package org.acme.greeter;\npublic class Greeter {\n  public static String greet(String name) { return org.acme.text.Shouter.shout("hello " + name) + " (greeter ${version})"; }\n}\n`,
  },
});
const GREETER_OLD = greeter('1.0.0');
const GREETER_FRESH = greeter('1.1.0');

const APP_POM = (greeterVersion: string) => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>app</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.acme</groupId>
      <artifactId>greeter</artifactId>
      <version>${greeterVersion}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
${BUILD_PLUGINS.map((p) => `      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>${p.artifactId}</artifactId><version>${p.version}</version></plugin>`).join('\n')}
    </plugins>
  </build>
</project>
`;
const APP_SOURCES = { 'app/Main.java': 'package app;\npublic class Main {\n  public static void main(String[] args) { System.out.println(org.acme.greeter.Greeter.greet("maven")); }\n}\n' };

const GREETER_DIR = 'org/acme/greeter';
const SHOUTER_JAR = 'org/acme/text/shouter/1.0.0/shouter-1.0.0.jar';
/**
 * What Maven fetches for the project when it picks greeter 1.1.0: it reads the POM of every
 * version in the range, but takes the jar of the one it picks.
 */
const COLD_FILES = [
  `${GREETER_DIR}/1.0.0/greeter-1.0.0.pom`,
  `${GREETER_DIR}/1.1.0/greeter-1.1.0.pom`,
  `${GREETER_DIR}/1.1.0/greeter-1.1.0.jar`,
  'org/acme/acme-parent/1/acme-parent-1.pom',
  'org/acme/text/shouter/1.0.0/shouter-1.0.0.pom',
  SHOUTER_JAR,
];

describe('the mvn client through pkgproxy', () => {
  const upstream = new FakeMavenRepository();
  /** No cooldown. */
  let proxy: RunningProxy;
  /** cooldown.ecosystems.maven = 3d. */
  let coolProxy: RunningProxy;
  let mvn: MavenSandbox;

  /** Compiles the project and runs it with the jars Maven put in the local repository. */
  async function compileAndRun(greeterVersion: string): Promise<{ build: string; printed: string }> {
    const build = await mvn.ok(['compile']);
    const classpath = ['target/classes', mvn.local(`${GREETER_DIR}/${greeterVersion}/greeter-${greeterVersion}.jar`), mvn.local(SHOUTER_JAR)].join(':');
    const run = await runCommand('java', ['-cp', classpath, 'app.Main'], mvn.project);
    expect(run.code, run.output).toBe(0);
    return { build: build.output, printed: run.output.trim() };
  }

  beforeAll(async () => {
    const unavailable = missingPlugins();
    if (unavailable) throw new Error(unavailable);
    await upstream.start();
    const [parent, shouter, old, fresh] = await buildArtifacts([PARENT, SHOUTER, GREETER_OLD, GREETER_FRESH]);
    upstream.publish(parent!, { age: 200 * DAY });
    upstream.publish(shouter!, { age: 100 * DAY });
    upstream.publish(old!, { age: 30 * DAY });
    upstream.publish(fresh!, { age: 2 * HOUR });
    proxy = await startProxy({ upstreams: { maven: upstream.url } });
    coolProxy = await startProxy({ upstreams: { maven: upstream.url }, cooldown: { ecosystems: { maven: '3d' } } });
    mvn = new MavenSandbox(`${proxy.url}maven/`);
  });

  afterAll(async () => {
    mvn?.cleanup();
    await proxy?.close();
    await coolProxy?.close();
    await upstream.stop();
  });

  it('compiles against a dependency graph fetched cold through the proxy, then warm with nothing fetched upstream', async () => {
    mvn.writeProject(APP_POM('[1.0,2.0)'), APP_SOURCES);
    const cold = await compileAndRun('1.1.0');
    expect(cold.printed).toBe('HELLO MAVEN! (greeter 1.1.0)');
    expect(cold.build).toContain(`Downloading from pkgproxy: ${proxy.url}maven/org/acme/greeter/maven-metadata.xml`);

    // Every file came from the fake upstream through the proxy, byte for byte, each fetched once.
    for (const file of COLD_FILES) {
      expect(upstream.count(new RegExp(`^${file.replaceAll('.', '\\.')}$`), 'GET'), file).toBe(1);
      expect(readFileSync(mvn.local(file)).equals(upstream.bytesAt(file)!), file).toBe(true);
    }
    expect(existsSync(mvn.local(`${GREETER_DIR}/1.0.0/greeter-1.0.0.jar`))).toBe(false);
    // Maven checked each file, and the metadata the proxy rendered, against the checksum file
    // it got beside it (a mismatch fails this build: checksumPolicy is fail), and kept both.
    for (const file of [...COLD_FILES, `${GREETER_DIR}/maven-metadata-pkgproxy.xml`]) {
      expect(readFileSync(mvn.local(`${file}.sha1`), 'utf8'), file).toBe(createHash('sha1').update(readFileSync(mvn.local(file))).digest('hex'));
    }
    // Maven's plugins came from the machine, never through the proxy.
    expect(upstream.requests.filter((r) => !r.path.startsWith('org/acme/'))).toEqual([]);

    // Warm: an empty local repository, the same proxy; nothing is fetched upstream again.
    const filesBefore = upstream.fileGets().length;
    const allBefore = upstream.requests.length;
    mvn.freshRepository();
    const warm = await compileAndRun('1.1.0');
    expect(warm.printed).toBe('HELLO MAVEN! (greeter 1.1.0)');
    for (const file of COLD_FILES) expect(existsSync(mvn.local(file)), file).toBe(true);
    expect(upstream.fileGets().length).toBe(filesBefore);
    // Metadata too came from the proxy's cache (well inside metadata_ttl).
    expect(upstream.requests.length).toBe(allBefore);
  });

  it('picks the newest version outside the cooldown, and a direct download of the fresh one is refused with the reason', async () => {
    mvn.setMirror(`${coolProxy.url}maven/`);
    mvn.freshRepository();
    mvn.writeProject(APP_POM('[1.0,2.0)'), APP_SOURCES);
    const cool = await compileAndRun('1.0.0');
    expect(cool.printed).toBe('HELLO MAVEN! (greeter 1.0.0)');
    expect(existsSync(mvn.local(`${GREETER_DIR}/1.1.0`))).toBe(false);
    const resolvedMetadata = readFileSync(mvn.local(`${GREETER_DIR}/maven-metadata-pkgproxy.xml`), 'utf8');
    expect(resolvedMetadata).not.toContain('<version>1.1.0</version>');

    const refused = await fetch(`${coolProxy.url}maven/${GREETER_DIR}/1.1.0/greeter-1.1.0.jar`);
    expect(refused.status).toBe(403);
    const reason = await refused.text();
    expect(reason).toMatch(/^refused by policy: org\.acme:greeter@1\.1\.0 was published at \d{4}-\d\d-\d\dT[\d:.]+Z, inside the 3d cooldown set by cooldown\.ecosystems\.maven/);
  });

  it('a project pinning the fresh version fails, and mvn shows why', async () => {
    mvn.freshRepository();
    mvn.writeProject(APP_POM('1.1.0'), APP_SOURCES);
    const pinned = await mvn.run(['compile']);
    expect(pinned.code, pinned.output).not.toBe(0);
    expect(pinned.output).toContain('403');
    expect(pinned.output).toContain('refused by policy: org.acme:greeter@1.1.0 was published at');
    expect(pinned.output).toContain('cooldown.ecosystems.maven');
    expect(existsSync(mvn.local(`${GREETER_DIR}/1.1.0/greeter-1.1.0.jar`))).toBe(false);
  });
});
