// @ts-check
// The outbox: every dose, symptom report and weight the patient logs is written here first,
// with the client_id the server uses to recognise a resend, and stays until the server has
// answered 201 or 200. Nothing leaves it on a timeout or a 5xx; a refusal (4xx) stays too,
// marked with the server's reason, until the patient has seen it and dismissed it.

import { dbDelete, dbGet, dbGetAll, dbPut } from "./db.js";

/** @typedef {import("./types.js").OutboxItem} OutboxItem */

export const WAITING = "waiting";
export const REJECTED = "rejected";

const changes = new EventTarget();

function changed() {
  changes.dispatchEvent(new Event("change"));
}

/** Call `listener` whenever the outbox changes (to redraw "waiting to send").
 * @param {() => unknown} listener
 * @returns {() => void}
 */
export function onOutboxChange(listener) {
  changes.addEventListener("change", listener);
  return () => changes.removeEventListener("change", listener);
}

/** Keep a dose ("dose"), a report ("report"), a weight ("weight"), a tablet count
 *  ("supply", js/refills.js) or a dose log's
 *  correction ("fix", see js/corrections.js) for `userId` until the server has it. A fix is
 *  kept under its change_id (made once, here, so every resend is the same change) and
 *  carries `extra`: {dose: {date, slot}, log_id, after}.
 * @param {OutboxItem["kind"]} kind
 * @param {Record<string, any>} body
 * @param {number | null} userId
 * @param {{dose?: {date: string, slot: number}, log_id?: number | null, after?: string | null}} [extra]
 * @returns {Promise<OutboxItem>}
 */
export async function enqueue(kind, body, userId, extra = {}) {
  const item = {
    ...extra,
    client_id: kind === "fix" ? body.change_id : body.client_id,
    kind,
    body,
    user_id: userId,
    created_at: new Date().toISOString(),
    state: WAITING,
    attempts: 0,
    last_attempt_at: null,
    error: null,
  };
  await dbPut("outbox", item);
  changed();
  return item;
}

/** The user's items, oldest first (sent in the order they were made).
 * @param {number | null} userId
 * @returns {Promise<OutboxItem[]>}
 */
export async function outboxItems(userId) {
  const items = await dbGetAll("outbox");
  return items
    .filter((item) => item.user_id === userId)
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/**
 * One more try at sending it (counted, with when).
 * @param {string} clientId
 * @returns {Promise<void>}
 */
export async function markAttempt(clientId) {
  const item = await dbGet("outbox", clientId);
  if (!item) return;
  item.attempts += 1;
  item.last_attempt_at = new Date().toISOString();
  await dbPut("outbox", item);
}

/** The server has it (201, or 200 for a resend): it leaves the outbox.
 * @param {string} clientId
 * @returns {Promise<void>}
 */
export async function markSent(clientId) {
  await dbDelete("outbox", clientId);
  changed();
}

/** Fixes queued after the item `clientId` (a log or a change not yet acknowledged when the
 *  patient corrected it) get the log's id and `based_on` from the server's answer.
 * @param {string} clientId
 * @param {import("./types.js").DoseLog} log
 * @returns {Promise<void>}
 */
export async function fillChained(clientId, log) {
  for (const item of await dbGetAll("outbox")) {
    if (item.kind !== "fix" || item.after !== clientId) continue;
    item.log_id = log.id;
    item.body = { ...item.body, based_on: log.updated_at };
    item.after = null;
    await dbPut("outbox", item);
  }
}

/**
 * The item kept under `clientId`, or undefined.
 * @param {string} clientId
 * @returns {Promise<OutboxItem | undefined>}
 */
export async function outboxItem(clientId) {
  return dbGet("outbox", clientId);
}

/** The server refused it (4xx): kept, with the reason, for the patient to see.
 * @param {string} clientId
 * @param {import("./types.js").Refusal} error
 * @returns {Promise<void>}
 */
export async function markRejected(clientId, error) {
  const item = await dbGet("outbox", clientId);
  if (!item) return;
  item.state = REJECTED;
  item.error = error;
  await dbPut("outbox", item);
  changed();
}

/** The patient has read why it was refused.
 * @param {string} clientId
 * @returns {Promise<void>}
 */
export async function dismiss(clientId) {
  const item = await dbGet("outbox", clientId);
  if (item && item.state === REJECTED) {
    await dbDelete("outbox", clientId);
    changed();
  }
}
