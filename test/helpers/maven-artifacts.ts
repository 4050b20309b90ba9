import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real Maven artifacts for tests: Java sources compiled with `javac`, packed with `jar` (with
 * the pom.xml and pom.properties Maven puts under META-INF/maven), and POMs as a developer
 * writes them: parent, dependencyManagement, dependencies.
 */

const run = promisify(execFile);

export interface Coordinates {
  groupId: string;
  artifactId: string;
  version: string;
}

export interface JavaArtifact extends Coordinates {
  /** 'pom' for a parent POM: no jar. */
  packaging?: 'jar' | 'pom';
  parent?: Coordinates;
  /** Versions the parent pins for its children. */
  dependencyManagement?: Coordinates[];
  /** A dependency without a version takes it from the parent's dependencyManagement. */
  dependencies?: Array<Omit<Coordinates, 'version'> & { version?: string }>;
  /** Java source files by path ("org/acme/Greeter.java"), compiled against every jar built before. */
  sources?: Record<string, string>;
}

export interface BuiltArtifact {
  coordinates: JavaArtifact;
  pom: Buffer;
  jar?: Buffer;
}

/** Builds the artifacts in order; each jar's classes may use the jars built before it. */
export async function buildArtifacts(specs: JavaArtifact[]): Promise<BuiltArtifact[]> {
  const work = mkdtempSync(join(tmpdir(), 'pkgproxy-maven-build-'));
  try {
    const built: BuiltArtifact[] = [];
    const jars: string[] = [];
    for (const [index, spec] of specs.entries()) {
      const pom = Buffer.from(pomXml(spec));
      if ((spec.packaging ?? 'jar') === 'pom') {
        built.push({ coordinates: spec, pom });
        continue;
      }
      const jarPath = await buildJar(join(work, String(index)), spec, pom, jars);
      jars.push(jarPath);
      built.push({ coordinates: spec, pom, jar: readFileSync(jarPath) });
    }
    return built;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function buildJar(dir: string, spec: JavaArtifact, pom: Buffer, classpath: string[]): Promise<string> {
  const sources = join(dir, 'src');
  const classes = join(dir, 'classes');
  const files = Object.entries(spec.sources ?? {}).map(([path, text]) => {
    const file = join(sources, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  });
  mkdirSync(classes, { recursive: true });
  if (files.length > 0) {
    await run('javac', ['--release', '17', '-nowarn', '-d', classes, ...(classpath.length ? ['-cp', classpath.join(':')] : []), ...files]);
  }
  const meta = join(classes, 'META-INF', 'maven', spec.groupId, spec.artifactId);
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(meta, 'pom.xml'), pom);
  writeFileSync(join(meta, 'pom.properties'), `artifactId=${spec.artifactId}\ngroupId=${spec.groupId}\nversion=${spec.version}\n`);
  const jar = join(dir, `${spec.artifactId}-${spec.version}.jar`);
  await run('jar', ['--create', '--file', jar, '-C', classes, '.']);
  return jar;
}

export function pomXml(spec: JavaArtifact): string {
  const gav = (c: Omit<Coordinates, 'version'> & { version?: string }, indent: string) =>
    [`${indent}<groupId>${c.groupId}</groupId>`, `${indent}<artifactId>${c.artifactId}</artifactId>`, ...(c.version ? [`${indent}<version>${c.version}</version>`] : [])].join('\n');
  const dependencies = (list: Array<Omit<Coordinates, 'version'> & { version?: string }>, indent: string) =>
    [`${indent}<dependencies>`, ...list.map((d) => `${indent}  <dependency>\n${gav(d, `${indent}    `)}\n${indent}  </dependency>`), `${indent}</dependencies>`].join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    '         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">',
    '  <modelVersion>4.0.0</modelVersion>',
    ...(spec.parent ? ['  <parent>', gav(spec.parent, '    '), '  </parent>'] : []),
    gav(spec, '  '),
    `  <packaging>${spec.packaging ?? 'jar'}</packaging>`,
    ...(spec.dependencyManagement ? ['  <dependencyManagement>', dependencies(spec.dependencyManagement, '    '), '  </dependencyManagement>'] : []),
    ...(spec.dependencies ? [dependencies(spec.dependencies, '  ')] : []),
    '</project>',
    '',
  ].join('\n');
}
