/** The shell: sign-in until a key is given, then the header and the screen the URL names. */
import { useMemo, useState } from 'preact/hooks';
import { Api } from './api.ts';
import { Gallery } from './components/gallery.tsx';
import { History } from './components/history.tsx';
import { ModelForm } from './components/model-form.tsx';
import { RunView } from './components/run-view.tsx';
import { SignIn } from './components/sign-in.tsx';
import { hrefOf, useRoute } from './router.ts';
import { storedKey, storeKey } from './session.ts';

export function App() {
  const [key, setKey] = useState(storedKey);
  const [refusal, setRefusal] = useState<string>();
  const route = useRoute();

  const signIn = (given: string) => {
    storeKey(given);
    setRefusal(undefined);
    setKey(given);
  };
  const signOut = (reason?: string) => {
    storeKey(undefined);
    setRefusal(reason);
    setKey(undefined);
  };
  const api = useMemo(() => (key ? new Api(key, (failure) => signOut(`The server stopped accepting this key: ${failure.message}`)) : undefined), [key]);

  return (
    <>
      <header class="topbar">
        <a class="brand" href={hrefOf({ screen: 'gallery' })}>ModelGate</a>
        {api && (
          <nav>
            <a href={hrefOf({ screen: 'gallery' })} aria-current={route.screen === 'gallery' || route.screen === 'model' ? 'page' : undefined}>Models</a>
            <a href={hrefOf({ screen: 'history', query: {} })} aria-current={route.screen === 'history' ? 'page' : undefined}>History</a>
            <button type="button" class="link" onClick={() => signOut()}>Sign out</button>
          </nav>
        )}
      </header>
      <main>
        {!api ? <SignIn onSignedIn={signIn} notice={refusal} /> : screen(api)}
      </main>
    </>
  );

  // A call, not a component: a component defined in here would be a new type on every render and remount its screen.
  function screen(api: Api) {
    switch (route.screen) {
      case 'gallery':
        return <Gallery api={api} />;
      case 'model':
        return <ModelForm key={route.modelId} api={api} modelId={route.modelId} />;
      case 'request':
        return <RunView key={route.requestId} api={api} requestId={route.requestId} modelId={route.modelId} />;
      case 'history':
        return <History api={api} query={route.query} />;
    }
  }
}
