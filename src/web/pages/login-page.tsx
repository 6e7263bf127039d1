import { useRef, useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router-dom';
import { sameSitePath } from '../../common/next-path.js';
import { isSsoRefusal, ssoRefusals } from '../../common/sso.js';
import { useAuthConfig, useLogin, useMe } from '../api/auth.js';
import { ApiError, errorMessage } from '../api/client.js';
import { Button } from '../components/button.js';
import { FormError, TextField } from '../components/field.js';
import { Logo } from '../components/logo.js';
import { Loading } from '../components/status.js';
import { useDocumentTitle } from '../hooks/use-document-title.js';

/** Where to go after logging in: a page of this site from `?next=` (not the login page again), else `/`. */
function safeNext(raw: string | null): string {
  const path = sameSitePath(raw);
  return path === undefined || path.startsWith('/login') ? '/' : path;
}

function loginProblem(error: unknown): string {
  if (!(error instanceof ApiError)) return errorMessage(error);
  if (error.code === 'LABHUB_BAD_CREDENTIALS') return 'Wrong username or password.';
  if (error.code === 'LABHUB_RATE_LIMITED') {
    const seconds = Number(/(\d+)\s*s\b/.exec(error.message)?.[1]);
    if (!Number.isFinite(seconds) || seconds <= 0) return error.message;
    const wait = seconds < 90 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${Math.ceil(seconds / 60)} minutes`;
    return `Too many login attempts. Try again in ${wait}.`;
  }
  if (error.code === 'LABHUB_VALIDATION') return 'Enter your username and password.';
  return error.message;
}

export default function LoginPage() {
  useDocumentTitle('Log in');
  const me = useMe();
  const login = useLogin();
  const authConfig = useAuthConfig();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const ssoError = params.get('sso_error');
  const ssoProblem = ssoError === null ? undefined : isSsoRefusal(ssoError) ? ssoRefusals[ssoError] : 'Single sign-on did not work. Try again.';
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const usernameInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);

  if (me.isPending || authConfig.isPending) {
    return (
      <div className="centered">
        <Loading />
      </div>
    );
  }
  if (me.data) return <Navigate to={next} replace />;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (login.isPending) return;
    login.mutate(
      { username: username.trim(), password },
      {
        // After a failed attempt, put the cursor where the fix most likely goes.
        onError: () => (username.trim() === '' ? usernameInput.current?.focus() : passwordInput.current?.select()),
      },
    );
  };
  const problem = login.error ? loginProblem(login.error) : undefined;
  // When the configuration cannot be read, offer the password form: the server still decides.
  const localLogin = authConfig.data?.localLogin ?? true;
  const sso = authConfig.data?.sso ?? null;

  return (
    <main className="login" id="main">
      <div className="login__card">
        <div className="login__brand">
          <Logo size={40} />
          <span className="brand__name">labhub</span>
        </div>
        <h1 className="login__title">Log in</h1>
        <p className="login__lead">Your own lab of machines, in the browser.</p>
        {sso && (
          <div className="login__sso">
            <FormError message={ssoProblem} />
            {/* A full navigation, not a client-side route: the server redirects to the provider. */}
            <a className="button button--primary button--block" href={`${sso.loginUrl}?${new URLSearchParams({ next }).toString()}`}>
              Sign in with {sso.name}
            </a>
          </div>
        )}
        {sso && localLogin && (
          <p className="login__divider">
            <span>or with a local account</span>
          </p>
        )}
        {localLogin && (
          <form className="form" onSubmit={onSubmit} noValidate>
            <TextField
              label="Username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus
              required
              ref={usernameInput}
              value={username}
              onChange={(event) => setUsername(event.target.value)}
            />
            <TextField
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              ref={passwordInput}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            <FormError message={problem} />
            <Button type="submit" variant={sso ? 'secondary' : 'primary'} className="button--block" pending={login.isPending} pendingLabel="Logging in…">
              Log in
            </Button>
          </form>
        )}
      </div>
    </main>
  );
}
