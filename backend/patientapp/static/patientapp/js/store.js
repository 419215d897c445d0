// @ts-check
// The last answers of the API's reads, kept in IndexedDB per user, so every screen can show
// what it knew when the phone is offline (with the time it was saved).

import { ApiError, NetworkError, request } from "./api.js";
import { dbClear, dbGet, dbPut } from "./db.js";
import { userId } from "./state.js";

function cacheKey(key) {
  return `${userId()}:${key}`;
}

/** GET `path`; on success keep it under `key`. Offline (or a 5xx) gives the kept copy with
 *  fresh=false. `missingIsNull` turns a 404 into data=null (no plan yet).
 * @param {string} key
 * @param {string} path
 * @param {{missingIsNull?: boolean}} [options]
 * @returns {Promise<import("./types.js").ReadResult<any>>}
 */
export async function read(key, path, { missingIsNull = false } = {}) {
  const savedAt = new Date().toISOString();
  try {
    const { data } = await request("GET", path);
    await dbPut("cache", { key: cacheKey(key), data, saved_at: savedAt });
    return { data, fresh: true, savedAt };
  } catch (error) {
    if (missingIsNull && error instanceof ApiError && error.status === 404) {
      await dbPut("cache", { key: cacheKey(key), data: null, saved_at: savedAt });
      return { data: null, fresh: true, savedAt };
    }
    const unreachable =
      error instanceof NetworkError || (error instanceof ApiError && error.status >= 500);
    if (unreachable) {
      const kept = await dbGet("cache", cacheKey(key));
      if (kept) return { data: kept.data, fresh: false, savedAt: kept.saved_at };
    }
    throw error;
  }
}

/** The kept copy only (no request), or null.
 * @param {string} key
 * @returns {Promise<any>}
 */
export async function peek(key) {
  const kept = await dbGet("cache", cacheKey(key));
  return kept ? kept.data : null;
}

/** Change the kept copy (a dose the server has just accepted shows at once).
 * @param {string} key
 * @param {(data: any) => any} change
 * @returns {Promise<void>}
 */
export async function update(key, change) {
  const kept = await dbGet("cache", cacheKey(key));
  if (!kept) return;
  kept.data = change(kept.data);
  await dbPut("cache", kept);
}

/** Sign-out: nothing of this patient stays readable on the device (the outbox is apart).
 * @returns {Promise<void>}
 */
export async function forgetAll() {
  await dbClear("cache");
}
