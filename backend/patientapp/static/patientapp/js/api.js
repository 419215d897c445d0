// @ts-check
// The public API (/api/v1/) with the patient's bearer token. Two kinds of failure matter to
// the rest of the app: NetworkError (no answer: offline, dropped, timed out) and ApiError
// (an answer with a status that is not 2xx, with the server's {code, detail, errors}).

export class NetworkError extends Error {
  /**
   * @param {"offline" | "timeout"} kind
   * @param {unknown} [cause]
   */
  constructor(kind, cause) {
    super(kind);
    this.kind = kind; // "offline" or "timeout"
    this.cause = cause; // fetch's own error, for the console
  }
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {any} body the server's {code, detail, errors}, or null (no JSON)
   */
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.detail = body && body.detail;
    this.errors = (body && Array.isArray(body.errors) && body.errors) || [];
    this.body = body;
  }

  /** The server's reasons in plain words, one per line. */
  get reasons() {
    const reasons = this.errors.map((error) => error.reason).filter(Boolean);
    return reasons.length ? reasons : [this.detail || this.message];
  }
}

/** Worth sending again later: the server failed or asked us to slow down.
 * @param {unknown} error
 * @returns {boolean}
 */
export function isRetryable(error) {
  if (error instanceof NetworkError) return true;
  return (
    error instanceof ApiError && (error.status >= 500 || [408, 425, 429].includes(error.status))
  );
}

const TIMEOUT_MS = 20000;

/** A request's body (sent as JSON), whether to sign it (`auth`, default true), a token other
 *  than the session's, and how long to wait.
 * @typedef {{body?: unknown, auth?: boolean, token?: string, timeoutMs?: number}} RequestOptions
 */

let root = "/api/v1/";
let tokenOf = () => null;
let onUnauthorized = (_token) => null;

/**
 * Where the API is and how to sign its requests (app.js, at start).
 * @param {{root: string, token: () => string | null, onUnauthorized: (token: string) => unknown}} options
 */
export function configureApi(options) {
  root = options.root;
  tokenOf = options.token;
  onUnauthorized = options.onUnauthorized;
}

/** `token` overrides the session's (revoking a token that was never kept).
 * @param {string} method
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<{status: number, data: any}>}
 */
export async function request(method, path, options = {}) {
  const { body, auth = true, timeoutMs = TIMEOUT_MS } = options;
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = auth ? options.token || tokenOf() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  let data = null;
  try {
    response = await fetch(`${root}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
      // Bearer tokens only: a staff session cookie in the same browser is never sent along.
      credentials: "omit",
    });
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null; // a proxy's HTML error page: the status still says what happened
      }
    }
  } catch (error) {
    throw new NetworkError(controller.signal.aborted ? "timeout" : "offline", error);
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 401 && token) onUnauthorized(token);
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data };
}
