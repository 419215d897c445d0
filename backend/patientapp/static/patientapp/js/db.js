// @ts-check
// The app's IndexedDB: "outbox" holds what the patient logged until the server has it
// (js/queue.js); "cache" holds the last answers of the API for reading offline (js/store.js).

const NAME = "gist-patient-app";
const VERSION = 1;

let opening = null;

/**
 * The app's database, opened once (again after another tab upgraded it).
 * @returns {Promise<IDBDatabase>}
 */
export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.addEventListener("upgradeneeded", () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("outbox")) {
          const outbox = db.createObjectStore("outbox", { keyPath: "client_id" });
          outbox.createIndex("user", "user_id");
        }
        if (!db.objectStoreNames.contains("cache"))
          db.createObjectStore("cache", { keyPath: "key" });
      });
      request.addEventListener("success", () => {
        const db = request.result;
        // Another tab opening a newer version: let it, and open again next time.
        db.addEventListener("versionchange", () => {
          db.close();
          opening = null;
        });
        resolve(db);
      });
      request.addEventListener("error", () => reject(request.error));
    });
  }
  return opening;
}

async function run(storeName, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeName, mode);
    const request = work(transaction.objectStore(storeName));
    // Resolved when the transaction commits, so a write is on disk before the caller goes on.
    transaction.addEventListener("complete", () => resolve(request ? request.result : undefined));
    transaction.addEventListener("error", () => reject(transaction.error));
    transaction.addEventListener("abort", () => reject(transaction.error));
  });
}

/** @type {(store: string, key: IDBValidKey) => Promise<any>} */
export const dbGet = (store, key) => run(store, "readonly", (s) => s.get(key));
/** @type {(store: string) => Promise<any[]>} */
export const dbGetAll = (store) => run(store, "readonly", (s) => s.getAll());
/** @type {(store: string, value: any) => Promise<IDBValidKey>} */
export const dbPut = (store, value) => run(store, "readwrite", (s) => s.put(value));
/** @type {(store: string, key: IDBValidKey) => Promise<undefined>} */
export const dbDelete = (store, key) => run(store, "readwrite", (s) => s.delete(key));
/** @type {(store: string) => Promise<undefined>} */
export const dbClear = (store) => run(store, "readwrite", (s) => s.clear());
