import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const oidcClientId = 'labhub';
export const oidcClientSecret = 'labhub-test-secret-0123456789';

export interface TestProvider {
  issuer: string;
  /** Claims of each account the provider knows, by account id (its `sub`); tests change them between logins. */
  accounts: Map<string, Record<string, unknown>>;
  /**
   * Plays the browser at the provider: follows redirects from `authorizationUrl`, logs in as
   * `accountId` and consents through the development interactions, and returns the URL the
   * provider finally redirects to (labhub's callback, with code and state).
   */
  authorize(authorizationUrl: string, accountId: string): Promise<URL>;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 with a random port and one confidential
 * client. The client's redirect URIs are read at the first request, so a labhub whose URL is only
 * known once it listens (with this issuer in its configuration) can be registered.
 */
export async function startTestProvider(redirectUris: () => string[]): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, Record<string, unknown>>();
  const createProvider = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: oidcClientId,
          client_secret: oidcClientSecret,
          redirect_uris: redirectUris(),
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      async findAccount(_ctx, id) {
        const claims = accounts.get(id);
        if (!claims) return undefined;
        return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      cookies: { keys: ['labhub-test-provider-cookie-key'] },
    });
  let handle: ReturnType<Provider['callback']> | undefined;
  server.on('request', (request, response) => {
    handle ??= createProvider().callback();
    handle(request, response);
  });

  const authorize = async (authorizationUrl: string, accountId: string): Promise<URL> => {
    // A cookie jar by name: the provider's interaction cookies are few and their names distinct.
    const jar = new Map<string, string>();
    const remember = (response: Response) => {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const at = pair?.indexOf('=') ?? -1;
        if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
      }
    };
    const cookie = () => [...jar].filter(([, value]) => value !== '').map(([name, value]) => `${name}=${value}`).join('; ');
    let url = new URL(authorizationUrl);
    let body: URLSearchParams | undefined;
    for (let hop = 0; hop < 20; hop++) {
      if (!url.href.startsWith(issuer)) return url;
      const response = await fetch(url, { method: body ? 'POST' : 'GET', redirect: 'manual', headers: { cookie: cookie() }, ...(body && { body }) });
      remember(response);
      body = undefined;
      const location = response.headers.get('location');
      if (location) {
        url = new URL(location, url);
        continue;
      }
      const page = await response.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      if (response.status !== 200 || !prompt) throw new Error(`unexpected answer from the provider at ${url.pathname}: ${response.status} ${page.slice(0, 500)}`);
      body = prompt === 'login' ? new URLSearchParams({ prompt, login: accountId, password: 'any' }) : new URLSearchParams({ prompt });
    }
    throw new Error('too many redirects at the provider');
  };

  return {
    issuer,
    accounts,
    authorize,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
