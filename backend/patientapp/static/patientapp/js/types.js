// @ts-check
// The shapes the patient app passes between its modules, as JSDoc types for TypeScript's
// check (make lint-js): what the API answers (a dose, the plan, a report...) and what the app
// keeps (an outbox item, a kept read). Types only: no module imports this one at run time.

/** A dose log as the API has it (me/doses/, me/today/), or as this phone believes it.
 * @typedef {object} DoseLog
 * @property {number} [id]
 * @property {string} [client_id]
 * @property {string} status taken, taken_late or skipped
 * @property {string | null} [taken_at] an ISO instant
 * @property {string} [skip_reason]
 * @property {string} [created_at]
 * @property {string} [updated_at]
 * @property {string} [date]
 * @property {number} [slot]
 */

/** One scheduled dose of a day: me/today/'s doses, me/doses/'s rows.
 * @typedef {object} Dose
 * @property {string} date "YYYY-MM-DD" in the patient's zone
 * @property {number} slot 1, 2... in the day's order
 * @property {string} local_time "HH:MM"
 * @property {string} status pending, taken, taken_late, skipped, missed or on_hold
 * @property {DoseLog | null} log
 */

/** The plan part of me/today/ (plan.planOn works it out from a kept plan).
 * @typedef {object} PlanSummary
 * @property {number} [id]
 * @property {string} state active, on_hold, completed or stopped
 * @property {number | null} day_of_plan
 * @property {number | null} total_days
 * @property {string | null} planned_end_date
 * @property {number | string} dose_mg_per_day
 * @property {number} [dose_mg_per_dose]
 * @property {number[]} [tablet_strengths_mg]
 * @property {import("./tablets.js").TabletCount[]} [tablets_per_dose]
 */

/** me/today/: the day, its zone, the plan's line and the doses.
 * @typedef {object} Today
 * @property {string} date
 * @property {string} time_zone
 * @property {PlanSummary | null} plan
 * @property {Dose[]} doses
 */

/** @typedef {{start_date: string, end_date: string | null}} Hold */
/** @typedef {{number: number, effective_date: string, dose_mg_per_day: number | string, dose_times: string[], tablet_strengths_mg?: number[]}} PlanRevision */

/** me/plan/: the treatment plan with its revisions and holds.
 * @typedef {object} Plan
 * @property {number} id
 * @property {string} state
 * @property {string} start_date
 * @property {string | null} planned_end_date
 * @property {number | null} total_days
 * @property {number | string} dose_mg_per_day
 * @property {PlanRevision[]} [revisions]
 * @property {Hold[]} [holds]
 */

/** A refusal kept on an outbox item: the server's status, code and reasons, and for a
 *  conflict the log as stored now.
 * @typedef {object} Refusal
 * @property {number} status
 * @property {string} code
 * @property {string[]} reasons
 * @property {DoseLog} [existing]
 */

/** What the patient logged, kept in IndexedDB until the server has it (js/queue.js).
 * @typedef {object} OutboxItem
 * @property {string} client_id
 * @property {"dose" | "report" | "weight" | "fix" | "supply"} kind
 * @property {Record<string, any>} body what is sent
 * @property {number | null} user_id
 * @property {string} created_at
 * @property {string} state waiting or rejected
 * @property {number} attempts
 * @property {string | null} last_attempt_at
 * @property {Refusal | null} error
 * @property {{date: string, slot: number}} [dose] a fix: the dose it changes
 * @property {number | null} [log_id] a fix: the log it changes, once known
 * @property {string | null} [after] a fix: the item it waits for
 */

/** What one send did (sync.flush): sent (with the server's answer), waiting or rejected.
 * @typedef {object} Outcome
 * @property {string} state
 * @property {any} [data]
 * @property {boolean} [replayed]
 * @property {Refusal} [error]
 */

/** @typedef {Record<string, Outcome>} Outcomes */

/** A read of the API: fresh, or the kept copy (offline) with when it was saved.
 * @template T
 * @typedef {{data: T, fresh: boolean, savedAt: string}} ReadResult
 */

/** A mounted screen: `ready` when its first paint is done, `cleanup` when it is left.
 * @typedef {{ready: Promise<unknown>, cleanup: () => void}} Screen
 */

/** One question of the symptom catalogue, with its answers as scores.
 * @typedef {object} Question
 * @property {string} attribute
 * @property {string} text
 * @property {{score: number, label: string}[]} options
 */

/** A symptom of the catalogue (GET symptoms/).
 * @typedef {object} Symptom
 * @property {string} code
 * @property {string} label
 * @property {boolean} red_flag
 * @property {string} [instruction_level]
 * @property {Question[]} questions
 * @property {Question[]} [follow_up_questions]
 * @property {string} [skip_others_when_zero]
 * @property {string} [free_text_prompt]
 */

/** @typedef {{symptoms: Symptom[], recall_period: string}} Catalogue */

/** The care team as GET me/ gives it.
 * @typedef {{name?: string, phone?: string, hours?: string, emergency_number?: string}} CareTeam
 */

/** The server's patient_instruction in a report's answer.
 * @typedef {{level: string, text?: string, phone?: string, emergency_number?: string}} Instruction
 */

export {};
