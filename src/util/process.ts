import { readFileSync } from 'node:fs';

/** Whether a process runs (a zombie, dead but not yet reaped, does not). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) said it exists
  }
}

const SHELLS = /^(sh|bash|dash|zsh|ash|ksh)$/;

function procField(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) };
  } catch {
    return undefined;
  }
}

/**
 * When this process was started by npm exec or npx (npm says so in npm_command): the pid of that npm
 * process, above the shell it starts commands through. A signal sent to npx (a container runtime
 * stopping its main process, a supervisor) ends npx but is not passed on by the shell: watching this pid
 * is how the command learns it. Undefined when started otherwise (directly, nohup, setsid).
 */
export function launcherPid(env: NodeJS.ProcessEnv = process.env, ppid: number = process.ppid): number | undefined {
  if (env.npm_command !== 'exec') return undefined;
  let pid = ppid;
  for (let i = 0; i < 3; i++) {
    const p = procField(pid);
    if (!p || !SHELLS.test(p.comm) || p.ppid <= 1) return pid;
    pid = p.ppid;
  }
  return pid;
}

/** Calls onGone once when the process `pid` has ended (checked every second; never keeps the process alive). */
export function whenGone(pid: number, onGone: () => void): () => void {
  const timer = setInterval(() => {
    if (pidAlive(pid)) return;
    clearInterval(timer);
    onGone();
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
