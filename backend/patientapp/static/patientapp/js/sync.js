// @ts-check
// Sending the outbox: at start, when the connection returns (the online event), right after
// the patient logs something, and on a retry timer (3 s, doubling to 5 min) while anything
// is waiting. A 201 or a 200 (the server already had this client_id) counts as sent; a 5xx,
// a 408/429, a timeout or no network leaves the item waiting; another 4xx is a refusal, kept
// with the server's reason for the patient to see. A 401 stops sending: the patient must sign
// in again, and the items wait for them.

import { ApiError, isRetryable, request } from "./api.js";
import {
  REJECTED,
  WAITING,
  fillChained,
  markAttempt,
  markRejected,
  markSent,
  outboxItem,
  outboxItems,
} from "./queue.js";
import { emit, userId } from "./state.js";
import { update } from "./store.js";

const ENDPOINTS = {
  dose: "me/doses/",
  report: "me/side-effects/",
  weight: "me/weights/",
  supply: "me/supply/",
};
const FIRST_RETRY_MS = 3000;
const LAST_RETRY_MS = 5 * 60 * 1000;

let retryDelay = FIRST_RETRY_MS;
let retryTimer = null;
let current = null;
let following = null;

/**
 * Send what is waiting now, and again when the connection returns or the app is shown.
 * @returns {Promise<import("./types.js").Outcomes>}
 */
export function startSync() {
  window.addEventListener("online", () => flush());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  return flush();
}

/** Send what is waiting. Resolves to {client_id: {state, data?, error?}} for what was tried;
 *  a call made while a round is running gets a second round after it (so its item is in).
 * @returns {Promise<import("./types.js").Outcomes>}
 */
export function flush() {
  if (!current) {
    current = withLock(sendAll).finally(() => {
      current = null;
    });
    return current;
  }
  if (!following) {
    following = current.then(() => {
      following = null;
      return flush();
    });
  }
  return following;
}

function withLock(work) {
  // One sender across this app's tabs; the server's client_id check makes a race harmless,
  // the lock only saves requests.
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request("gist-outbox", work);
  }
  return work();
}

async function sendAll() {
  const user = userId();
  if (!user) return {};
  const outcomes = {};
  let stillWaiting = false;
  for (const item of await outboxItems(user)) {
    if (item.state !== WAITING) continue;
    if (stillWaiting) {
      outcomes[item.client_id] = { state: WAITING };
      continue;
    }
    await markAttempt(item.client_id);
    try {
      const { status, data } = await send(item);
      await applySent(item, data);
      // A correction queued after this log (or change) is now based on the server's answer.
      if (item.kind === "dose" || item.kind === "fix") await fillChained(item.client_id, data);
      await markSent(item.client_id);
      outcomes[item.client_id] = { state: "sent", data, replayed: status === 200 };
    } catch (error) {
      if (isRetryable(error) || (error instanceof ApiError && error.status === 401)) {
        // Keep the order: nothing after a waiting item is sent before it.
        stillWaiting = true;
        outcomes[item.client_id] = { state: WAITING };
      } else if (error instanceof ApiError) {
        const refusal = { status: error.status, code: error.code || "", reasons: error.reasons };
        const existing = error.body && error.body.existing;
        if (existing) {
          // The dose as stored now (another phone's change, a log made elsewhere): shown with
          // the refusal, and what the next change is based on. The patient decides again.
          refusal.existing = existing;
          await applySent(item, existing);
        }
        await markRejected(item.client_id, refusal);
        outcomes[item.client_id] = { state: REJECTED, error: refusal };
      } else {
        throw error;
      }
    }
  }
  scheduleRetry(stillWaiting);
  if (Object.keys(outcomes).length) emit("outbox-sent", outcomes);
  return outcomes;
}

/** A fix goes as a PATCH of its log; one still waiting for its log's id (the log or the
 *  change before it was refused) is refused here, kept for the patient to see. */
async function send(item) {
  if (item.kind !== "fix") return request("POST", ENDPOINTS[item.kind], { body: item.body });
  const fresh = (await outboxItem(item.client_id)) || item;
  if (!fresh.log_id) {
    throw new ApiError(409, {
      code: "base_refused",
      detail: "The log this change was for was not accepted.",
    });
  }
  return request("PATCH", `me/doses/${fresh.log_id}/`, { body: fresh.body });
}

function scheduleRetry(needed) {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (!needed) {
    retryDelay = FIRST_RETRY_MS;
    return;
  }
  retryTimer = setTimeout(() => flush(), retryDelay);
  retryDelay = Math.min(retryDelay * 2, LAST_RETRY_MS);
}

/** Show what the server now has without waiting for the next read. */
async function applySent(item, data) {
  if (item.kind === "dose" || item.kind === "fix") {
    // After an undo the row is pending (or missed) again: no log to show.
    const logged = ["taken", "taken_late", "skipped"].includes(data.status);
    const put = (dose) => {
      if (dose.date === data.date && dose.slot === data.slot) {
        dose.log = logged ? data : null;
        dose.status = data.status;
      }
    };
    await update("today", (today) => {
      if (today && today.date === data.date) today.doses.forEach(put);
      return today;
    });
    await update(`doses:${data.date.slice(0, 7)}`, (doses) => {
      (doses || []).forEach(put);
      return doses;
    });
  } else if (item.kind === "report") {
    await update("reports", (reports) => {
      const list = (reports || []).filter((report) => report.client_id !== data.client_id);
      return [data, ...list];
    });
  } else if (item.kind === "weight") {
    await update("weights", (weights) => {
      const list = (weights || []).filter((weight) => weight.client_id !== data.client_id);
      // Newest first, as the server lists them.
      return [data, ...list].sort((a, b) => b.measured_on.localeCompare(a.measured_on));
    });
  } else if (item.kind === "supply") {
    // A tablet count (js/refills.js): the server answers with the supply as it now is.
    await update("supply", () => data);
  }
}
