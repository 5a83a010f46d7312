// The whole demo pipeline at test size (seconds, not minutes): small clips, a tiny model.
export const SMALL_DEMO_PIPELINE = `stages:
  demo: { uses: demo, with: { real: 6, fake: 6, size: 64 } }
  extract: { uses: extract, needs: [demo], with: { size: 64, max_frames: 12 } }
  diagnose: { uses: diagnose, needs: [extract] }
  split: { uses: split, needs: [extract, diagnose], with: { val: 0.25, test: 0.25, seed: 1 } }
  train:
    uses: train
    needs: [extract, split]
    with: { backend: cpu, threads: 1, d_model: 16, layers: 1, heads: 2, ff: 32, seq_len: 12, max_epochs: 3, min_epochs: 2, batch_size: 4, lr: 0.003 }
  evaluate: { uses: evaluate, needs: [train, split, extract, diagnose], with: { backend: cpu, bootstrap: 50 } }
`;
