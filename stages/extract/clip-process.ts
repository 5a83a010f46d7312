// An extract worker process (pool.ts): runs the clips its parent sends, a few at a time, and
// answers each with its record. When the parent disconnects (the pool is closed, or the parent
// died), it aborts what it runs, which kills and reaps those clips' ffmpeg, and exits.
import type { FromWorker, ToWorker } from "./pool.js";
import { processClip } from "./worker.js";

const running = new Map<number, AbortController>();

// Ctrl-C reaches the whole foreground process group, this process included: the parent turns it
// into an abort of the items (sent here as "abort" messages) and keeps what is done, so a signal
// must not kill this process under a clip first (its clips would fail as "worker killed"). The
// same for SIGTERM sent to the group. This process lives as long as its IPC channel does.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});

process.on("message", (m: ToWorker) => {
  if (m.op === "abort") return running.get(m.id)?.abort(new Error("aborted"));
  const ac = new AbortController();
  running.set(m.id, ac);
  void processClip(m.task, ac.signal).then((result) => {
    running.delete(m.id);
    if (process.connected) process.send!({ op: "done", id: m.id, result } satisfies FromWorker);
  });
});

process.on("disconnect", () => {
  for (const ac of running.values()) ac.abort(new Error("the extract stage closed"));
  // the IPC channel was what kept this process alive; an ffmpeg that will not die must not either
  setTimeout(() => process.exit(1), 10_000).unref();
});
