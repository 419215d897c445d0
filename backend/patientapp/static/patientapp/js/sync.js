// Sending the outbox: at start, when the connection returns (the online event), right after
// the patient logs something, and on a retry timer (3 s, doubling to 5 min) while anything
// is waiting. A 201 or a 200 (the server already had this client_id) counts as sent; a 5xx,
// a 408/429, a timeout or no network leaves the item waiting; another 4xx is a refusal, kept
// with the server's reason for the patient to see. A 401 stops sending: the patient must sign
// in again, and the items wait for them.

import { ApiError, isRetryable, request } from "./api.js";
import { REJECTED, WAITING, markAttempt, markRejected, markSent, outboxItems } from "./queue.js";
import { emit, userId } from "./state.js";
import { update } from "./store.js";

const ENDPOINTS = { dose: "me/doses/", report: "me/side-effects/", weight: "me/weights/" };
const FIRST_RETRY_MS = 3000;
const LAST_RETRY_MS = 5 * 60 * 1000;

let retryDelay = FIRST_RETRY_MS;
let retryTimer = null;
let current = null;
let following = null;

export function startSync() {
  window.addEventListener("online", () => flush());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  return flush();
}

/** Send what is waiting. Resolves to {client_id: {state, data?, error?}} for what was tried;
 *  a call made while a round is running gets a second round after it (so its item is in). */
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
      const { status, data } = await request("POST", ENDPOINTS[item.kind], { body: item.body });
      await applySent(item, data);
      await markSent(item.client_id);
      outcomes[item.client_id] = { state: "sent", data, replayed: status === 200 };
    } catch (error) {
      if (isRetryable(error) || (error instanceof ApiError && error.status === 401)) {
        // Keep the order: nothing after a waiting item is sent before it.
        stillWaiting = true;
        outcomes[item.client_id] = { state: WAITING };
      } else if (error instanceof ApiError) {
        const refusal = { status: error.status, code: error.code || "", reasons: error.reasons };
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
  if (item.kind === "dose") {
    await update("today", (today) => {
      if (!today || today.date !== data.date) return today;
      for (const dose of today.doses) {
        if (dose.slot === data.slot) {
          dose.log = data;
          dose.status = data.status;
        }
      }
      return today;
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
  }
}
