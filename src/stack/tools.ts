import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors.js';

const run = promisify(execFile);

/** The java binary: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on the PATH. */
export function javaBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** keytool, from the same JDK as javaBinary(). */
export function keytoolBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'keytool') : 'keytool';
}

/** Parses the major version out of `java -version` output ("17.0.15", "1.8.0_392", "21"). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

export async function checkJava(): Promise<{ java: string; major: number }> {
  const java = javaBinary();
  let output: string;
  try {
    const r = await run(java, ['-version']);
    output = r.stderr + r.stdout;
  } catch {
    throw new UserError(`Java was not found (looked for "${java}")`, {
      hint:
        'the local stack needs Java 17: ' +
        'install it (e.g. apt-get install openjdk-17-jdk-headless, brew install openjdk@17) or set JAVA_HOME',
    });
  }
  const major = parseJavaMajor(output);
  if (major === undefined || major < 17) {
    throw new UserError(
      `Java 17 or newer is needed for the local stack, found ${major ?? 'an unknown version'} (${java})`,
      {
        hint:
          'install Java 17 (e.g. apt-get install openjdk-17-jdk-headless) ' +
          'and put it first on the PATH or set JAVA_HOME',
      },
    );
  }
  return { java, major };
}

export async function checkMaven(): Promise<string> {
  const mvn = process.env.LOGINSYNC_MVN ?? 'mvn';
  try {
    await run(mvn, ['-v']);
  } catch {
    throw new UserError(
      `Maven was not found (looked for "${mvn}"); it downloads Kafka and Cassandra from Maven Central`,
      {
        hint: 'install Maven 3 (e.g. apt-get install maven, brew install maven)',
      },
    );
  }
  return mvn;
}
