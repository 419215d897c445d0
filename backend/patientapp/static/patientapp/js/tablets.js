// @ts-check
// A dose as tablets, on the phone: the same rule as backend/guidelines/tablets.py (the fewest
// tablets of the strengths the plan records, largest strength first; docs/clinical-facts.md
// §2.6), so a phone offline since an earlier day shows the amount from the kept plan exactly
// as me/today/ gives it. tests/browser/test_patient_due_card.py checks that both agree.

import { formatNumber, t } from "./i18n.js";

/** @typedef {{strength_mg: number, count: number}} TabletCount */

const UNIT_MG = 100;

/** The fewest tablets of `strengths` that make exactly `doseMg`, largest strength first;
 *  null when they cannot make it (as tablets_for_dose in Python).
 * @param {number} doseMg
 * @param {number[]} strengths
 * @returns {TabletCount[] | null}
 */
export function tabletsForDose(doseMg, strengths) {
  const sorted = [...new Set(strengths)].sort((a, b) => b - a);
  if (!(doseMg > 0) || !sorted.length) return null;
  if (doseMg % UNIT_MG || sorted.some((strength) => !(strength > 0) || strength % UNIT_MG)) {
    return null;
  }
  const steps = doseMg / UNIT_MG;
  /** @type {(number[] | null)[]} */
  const fewest = new Array(steps + 1).fill(null);
  fewest[0] = [];
  for (let total = 1; total <= steps; total += 1) {
    for (const strength of sorted) {
      const before = total - strength / UNIT_MG;
      const prior = before >= 0 ? fewest[before] : null;
      if (prior === null) continue;
      const candidate = [...prior, strength];
      const best = fewest[total];
      if (best === null || candidate.length < best.length) fewest[total] = candidate;
    }
  }
  const made = fewest[steps];
  if (made === null) return null;
  return sorted
    .filter((strength) => made.includes(strength))
    .map((strength) => ({
      strength_mg: strength,
      count: made.filter((one) => one === strength).length,
    }));
}

/** "1 tablet of 400 mg", "4 tablets of 100 mg", "1 × 400 mg + 2 × 100 mg"; the dose in mg
 *  when the plan names no tablets it can make.
 * @param {TabletCount[] | null | undefined} tablets
 * @param {number} doseMg
 * @returns {string}
 */
export function tabletWords(tablets, doseMg) {
  if (!tablets || !tablets.length) return t("due.amount_mg", { mg: formatNumber(doseMg) });
  if (tablets.length === 1) {
    const [{ strength_mg: mg, count }] = tablets;
    const params = { count: formatNumber(count), mg: formatNumber(mg) };
    return count === 1 ? t("due.tablet_one", params) : t("due.tablet_other", params);
  }
  return tablets
    .map(({ strength_mg: mg, count }) =>
      t("due.tablet_times", { count: formatNumber(count), mg: formatNumber(mg) }),
    )
    .join(" + ");
}
