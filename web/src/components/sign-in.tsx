/** Sign-in: the key is tried on GET /v1/models before it is kept, so a wrong key says so at once. */
import { useState } from 'preact/hooks';
import { Api, ApiFailure, messageOf } from '../api.ts';

export function SignIn({ onSignedIn, notice }: { onSignedIn(key: string): void; notice?: string | undefined }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(notice);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const given = key.trim();
    if (given === '') return setError('Paste the API key that `modelgate serve` printed (MODELGATE_API_KEY=mg_…).');
    setBusy(true);
    setError(undefined);
    try {
      await new Api(given).json('GET', '/v1/models?limit=1');
      onSignedIn(given);
    } catch (failure) {
      setError(failure instanceof ApiFailure && failure.status === 401 ? `That key was not accepted: ${failure.message}` : messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card sign-in" onSubmit={submit}>
      <h1>Sign in</h1>
      <p class="help">
        Use an API key of this server. The first <code>modelgate serve</code> printed one; <code>modelgate keys create</code> makes more.
        The key is kept in this tab only (sessionStorage) and sent only in the Authorization header.
      </p>
      <label for="api-key">API key</label>
      <input id="api-key" type="password" autocomplete="off" spellcheck={false} placeholder="mg_…" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
    </form>
  );
}
