// One `dfd run` at a time per artifacts dir. The lock is a file holding the owner's PID; a second
// run waits (saying for whom) and proceeds when it is released; a lock whose PID is dead (kill -9,
// crash) is taken over. Creation uses link(2), which is atomic: exactly one process wins.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LockInfo {
  pid: number;
  startedAt: string;
  runId?: string;
  command?: string;
}

export interface Lock {
  release(): void;
}

/** Is a process with this PID running (EPERM: running, owned by another user)? */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

export async function acquireLock(
  dir: string,
  info: Omit<LockInfo, "pid" | "startedAt">,
  opts: { timeoutMs?: number; onWait?: (holder: LockInfo) => void; onTakeover?: (holder: LockInfo) => void; signal?: AbortSignal } = {},
): Promise<Lock> {
  const file = join(dir, "lock");
  const mine: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), ...info };
  const tmp = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(tmp, JSON.stringify(mine));
  const deadline = Date.now() + (opts.timeoutMs ?? Infinity);
  let told = false;
  try {
    for (;;) {
      try {
        linkSync(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const holder = readLock(file);
      if (holder && holder.pid !== process.pid && !isAlive(holder.pid)) {
        opts.onTakeover?.(holder);
        // Only remove the lock we judged stale: re-read right before unlinking.
        if (readLock(file)?.pid === holder.pid) try { unlinkSync(file); } catch { /* someone else did */ }
        continue;
      }
      if (!holder) {
        // Half-written by a process that died between link and write (cannot happen with link, but
        // an empty/garbled file from elsewhere should not block forever): treat as stale.
        try { unlinkSync(file); } catch { /* ignore */ }
        continue;
      }
      if (!told) { opts.onWait?.(holder); told = true; }
      if (Date.now() > deadline) throw new Error(`gave up waiting for the lock held by PID ${holder.pid} (dfd run started ${holder.startedAt}); remove ${file} if that process is not dfd`);
      if (opts.signal?.aborted) throw new Error("interrupted while waiting for the lock");
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    try { unlinkSync(tmp); } catch { /* ignore */ }
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readLock(file)?.pid === process.pid) try { unlinkSync(file); } catch { /* ignore */ }
    },
  };
}
