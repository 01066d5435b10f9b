/**
 * The API key for this tab: in sessionStorage, so it is gone when the tab closes and is never
 * sent anywhere but in the Authorization header of this origin's API calls.
 */
const STORAGE_KEY = 'modelgate.apiKey';

export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    // Storage can be disabled (privacy settings): the key then lives only in memory.
    return undefined;
  }
}

export function storeKey(key: string | undefined): void {
  try {
    if (key === undefined) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // See storedKey.
  }
}
