import { useState } from 'preact/hooks';
import { api, signIn, signOut } from '../api-client.js';

/** The token goes into memory and sessionStorage only, never into the URL. */
export function SignIn({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  const [err, setErr] = useState<string>();
  return (
    <form
      class="card signin"
      onSubmit={(e) => {
        e.preventDefault();
        signIn(value.trim());
        api.whoami().then(onDone, (x: Error) => (signOut(), setErr(x.message)));
      }}
    >
      <h1>Switchboard</h1>
      <label for="token">Token</label>
      <input
        id="token"
        type="password"
        autocomplete="off"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Sign in</button>
      {err && (
        <p role="alert" class="error">
          {err}
        </p>
      )}
    </form>
  );
}
