// Evaluation sanity (issue 11): findings that say when the headline numbers cannot carry the
// weight a reader will put on them, and which diagnose errors still stand after the split.
import type { SetMetrics } from "../../src/lib/metrics.js";
import type { Finding } from "../../src/stage.js";

/** An AUC interval wider than this says the test set cannot tell a good model from a mediocre one. */
export const MAX_CI_WIDTH = 0.3;
/** Below this many clips of either class, an interval (even 1.000–1.000) comes with a caveat. */
export const MIN_TEST_PER_CLASS = 10;

export function evaluationFindings(test: SetMetrics | null): Finding[] {
  const out: Finding[] = [];
  if (!test || !test.n) return out;
  const ci = test.auc_ci95;
  if (ci && ci[1] - ci[0] > MAX_CI_WIDTH)
    out.push({
      id: "evaluate:wide-auc-interval",
      severity: "warn",
      reason: `the test ROC-AUC ${test.auc!.toFixed(3)} has a 95 % interval ${ci[0].toFixed(3)}–${ci[1].toFixed(3)} (width ${(ci[1] - ci[0]).toFixed(2)} > ${MAX_CI_WIDTH}): ${test.fake} fake / ${test.real} real test clips cannot pin it down`,
      advice: "a larger test set (or cross-validation: every clip tested once) narrows it; compare models only where their intervals separate",
      data: { auc: test.auc!, ci_low: ci[0], ci_high: ci[1], test_real: test.real, test_fake: test.fake },
    });
  if (test.real < MIN_TEST_PER_CLASS || test.fake < MIN_TEST_PER_CLASS)
    out.push({
      id: "evaluate:small-test-set",
      severity: "warn",
      reason: `the test set has ${test.fake} fake / ${test.real} real clips (fewer than ${MIN_TEST_PER_CLASS} per class): its AUC, accuracy and interval rest on a handful of clips${ci && ci[1] - ci[0] < 1e-9 ? ` — "${ci[0].toFixed(3)}–${ci[1].toFixed(3)}" means every resample of these few clips came out the same, not that the model is that good` : ""}`,
      advice: "report these numbers with the clip counts; give split's test fraction more clips, or cross-validate",
      data: { test_real: test.real, test_fake: test.fake },
    });
  return out;
}

/** diagnose's error-level findings that the split did not resolve (split.json resolved_findings). */
export function unresolvedErrors(findings: Finding[] | null, resolved: readonly string[]): Finding[] {
  return (findings ?? []).filter((f) => f.severity === "error" && !resolved.includes(f.id));
}
