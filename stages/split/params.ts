// split's params: the runner validates `with:` against this spec; run() receives SplitParams.
import type { ParamsSpec } from "../../src/params.js";
import type { GroupBy } from "../../src/artifacts/split.js";

export type { GroupBy };

export interface SplitParams {
  seed: number;
  val: number;
  test: number;
  /** "none" and null: no grouping. */
  group_by: "auto" | GroupBy | "none" | null;
}

export const splitParams = {
  seed: { type: "number", integer: true, default: 0, doc: "seed of the shuffle: same seed, same split" },
  val: { type: "number", min: 0, max: 0.9, default: 0.15, doc: "fraction of each class for validation" },
  test: { type: "number", min: 0, max: 0.9, default: 0.15, doc: "fraction of each class for the test set" },
  group_by: {
    type: "string",
    enum: ["auto", "source", "group", "source+group", "none"],
    nullable: true,
    default: "auto",
    doc: "keep every clip of one source (generator/camera), group (e.g. paired content) or both (source+group) in one set; auto: the group column when the data set has one (joined with the source when sources are class-pure), else source when sources are class-pure (all-real or all-AI), else none (null = none); split.json records the choice and why",
  },
} as const satisfies ParamsSpec;
