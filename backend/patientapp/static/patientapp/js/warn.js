// @ts-check
// Failures that change nothing the patient sees (a read ahead while offline, a best-effort
// request, a refresh the next start makes again) are still said on the console, with what was
// being done: never swallowed in silence. Biome's noEmptyBlockStatements (biome.json) refuses
// an empty `.catch(() => {})`.

/** A rejection handler that reports the error as a warning: "<what> failed".
 * @param {string} what
 * @returns {(error: unknown) => void}
 */
export function warnFailed(what) {
  return (error) => console.warn(`${what} failed:`, error);
}
