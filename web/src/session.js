// Keeps the signed-in key for the tab without ever storing it in clear text: the key is
// encrypted with AES-GCM under a non-extractable CryptoKey kept in IndexedDB, and only the
// ciphertext goes to sessionStorage (gone when the tab closes). Never in a URL, never in
// localStorage.

/**
 * Who is signed in: the key, its role and label as GET /v1/me says.
 * @typedef {{ key: string, role: import("./apiTypes").Answer<"/v1/me", "GET">["role"], label: string | null }} Session
 */

const DB = "remise-console";
const STORE = "keys";
const SLOT = "remise.session";

function idb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function idbDo(mode, action) {
  const db = await idb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = action(tx.objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function wrappingKey() {
  let key = await idbDo("readonly", (s) => s.get("wrap"));
  if (!key) {
    key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    await idbDo("readwrite", (s) => s.put(key, "wrap"));
  }
  return key;
}

const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** Remembers `session` ({key, role, label}) for this tab, encrypted. @param {Session} session */
export async function remember(session) {
  try {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = new TextEncoder().encode(JSON.stringify(session));
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await wrappingKey(), plain);
    sessionStorage.setItem(SLOT, JSON.stringify({ iv: b64(iv), data: b64(sealed) }));
  } catch {
    // No IndexedDB or WebCrypto (a private window, say): the session lives in memory only.
  }
}

/** The session remembered for this tab, or null. @returns {Promise<Session | null>} */
export async function recall() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SLOT) || "null");
    if (!stored) return null;
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: unb64(stored.iv) },
      await wrappingKey(),
      unb64(stored.data),
    );
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}

/** Forgets the session of this tab. */
export function forget() {
  sessionStorage.removeItem(SLOT);
}
