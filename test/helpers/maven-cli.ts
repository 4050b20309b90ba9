import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real Maven client (`mvn` on PATH) in isolation: its own user and global settings
 * (nothing from ~/.m2/settings.xml or Maven's conf/), a fresh local repository per run, and
 * an environment without MAVEN_OPTS and friends.
 *
 * Maven resolves its own plugins from Maven Central, which this machine cannot reach. They
 * come from the machine's ~/.m2/repository instead, read as a file:// plugin repository
 * (Maven copies what it needs into the fresh local repository and writes nothing there), and
 * every other repository, Central included, is mirrored to the proxy. So the project's
 * dependencies can only come through pkgproxy.
 */

export interface MavenResult {
  code: number | null;
  output: string;
  command: string;
}

const TIMEOUT_MS = 120_000;
const MACHINE_REPOSITORY = join(homedir(), '.m2', 'repository');

/** Plugin versions found in the machine's ~/.m2 with everything they need, for `mvn compile`. */
export const BUILD_PLUGINS = [
  { artifactId: 'maven-resources-plugin', version: '3.3.1' },
  { artifactId: 'maven-compiler-plugin', version: '3.13.0' },
];

/** Why the machine cannot run these tests, or undefined when it can. */
export function missingPlugins(): string | undefined {
  const missing = BUILD_PLUGINS.filter(
    (p) => !existsSync(join(MACHINE_REPOSITORY, 'org/apache/maven/plugins', p.artifactId, p.version, `${p.artifactId}-${p.version}.jar`)),
  );
  if (missing.length === 0) return undefined;
  return `the Maven plugins ${missing.map((p) => `${p.artifactId}:${p.version}`).join(', ')} are not in ${MACHINE_REPOSITORY}; Maven Central is out of reach, so mvn cannot build`;
}

export class MavenSandbox {
  readonly root: string;
  readonly project: string;
  private readonly settings: string;
  private readonly globalSettings: string;
  localRepository = '';
  private generation = 0;

  constructor(private mirrorUrl: string) {
    this.root = mkdtempSync(join(tmpdir(), 'pkgproxy-mvn-'));
    this.project = join(this.root, 'project');
    mkdirSync(this.project);
    this.settings = join(this.root, 'settings.xml');
    this.globalSettings = join(this.root, 'global-settings.xml');
    writeFileSync(this.globalSettings, '<settings/>\n');
    this.freshRepository();
  }

  /** Points Maven at the proxy's /maven/ mount. */
  setMirror(mirrorUrl: string): void {
    this.mirrorUrl = mirrorUrl;
    this.writeSettings();
  }

  /** A new, empty local repository (the old one is removed). */
  freshRepository(): string {
    if (this.localRepository) rmSync(this.localRepository, { recursive: true, force: true });
    this.localRepository = join(this.root, `repository-${this.generation++}`);
    mkdirSync(this.localRepository);
    this.writeSettings();
    return this.localRepository;
  }

  /** Writes the project's pom.xml and Java sources. */
  writeProject(pom: string, sources: Record<string, string>): void {
    rmSync(join(this.project, 'target'), { recursive: true, force: true });
    writeFileSync(join(this.project, 'pom.xml'), pom);
    for (const [path, text] of Object.entries(sources)) {
      const file = join(this.project, 'src/main/java', path);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text);
    }
  }

  run(args: string[]): Promise<MavenResult> {
    const full = ['-B', '-Dstyle.color=never', '-s', this.settings, '-gs', this.globalSettings, ...args];
    return runCommand('mvn', full, this.project);
  }

  async ok(args: string[]): Promise<MavenResult> {
    const result = await this.run(args);
    if (result.code !== 0) throw new Error(`${result.command} exited ${result.code}\n${result.output}`);
    return result;
  }

  /** A path in the local repository, e.g. "org/acme/greeter/1.0.0/greeter-1.0.0.jar". */
  local(path: string): string {
    return join(this.localRepository, path);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private writeSettings(): void {
    writeFileSync(
      this.settings,
      `<settings>
  <localRepository>${this.localRepository}</localRepository>
  <interactiveMode>false</interactiveMode>
  <offline>false</offline>
  <mirrors>
    <mirror>
      <id>pkgproxy</id>
      <mirrorOf>*,!machine-plugins</mirrorOf>
      <url>${this.mirrorUrl}</url>
    </mirror>
  </mirrors>
  <profiles>
    <profile>
      <id>isolated</id>
      <repositories>
        <!-- Central, mirrored to pkgproxy: a checksum that does not match fails the build. -->
        <repository>
          <id>central</id>
          <url>https://repo.maven.apache.org/maven2</url>
          <releases><checksumPolicy>fail</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository>
          <id>machine-plugins</id>
          <url>file://${MACHINE_REPOSITORY}</url>
          <!-- A local repository keeps no checksum files. -->
          <releases><checksumPolicy>ignore</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>isolated</activeProfile></activeProfiles>
</settings>
`,
    );
  }
}

/** process.env without what would steer mvn or the JVM. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (['MAVEN_OPTS', 'MAVEN_ARGS', 'MAVEN_CONFIG', 'M2_HOME', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS'].includes(key)) continue;
    if (/^(https?|all|no)_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  // mvn would source /etc/mavenrc and ~/.mavenrc.
  env.MAVEN_SKIP_RC = '1';
  return env;
}

export function runCommand(command: string, args: string[], cwd: string): Promise<MavenResult> {
  const line = `${command} ${args.join(' ')}`;
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: cleanEnv(), timeout: TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      let code: number | null = 0;
      if (error) {
        const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        code = typeof e.code === 'number' ? e.code : null;
        if (e.killed) stderr += `\n[maven-cli helper] killed after ${TIMEOUT_MS} ms`;
        else if (typeof e.code === 'string') stderr += `\n[maven-cli helper] could not run ${command}: ${e.message}`;
      }
      resolve({ code, output: `${stdout}\n${stderr}`, command: line });
    });
  });
}
