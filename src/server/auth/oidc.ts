import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import type { SsoRefusal } from '../../common/sso.js';
import { isLoopbackHost, type Config } from '../config.js';
import type { OidcRepository } from '../store/oidc.js';
import type { Clock } from './session-service.js';

/** How long a login may take at the provider before the browser's cookie and our record expire. */
export const loginTtlMs = 10 * 60_000;
/** Seconds to wait for each request to the provider. */
const providerTimeoutSeconds = 10;

/** A login refused on the way: the callback redirects to the login page with the reason. */
export class SsoRefused extends Error {
  override name = 'SsoRefused';
  constructor(
    readonly reason: SsoRefusal,
    /** For the log and the audit record, never shown to the user. */
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${reason}: ${detail}`, options);
  }
}

export interface StartedLogin {
  /** Where to send the browser: the provider's authorization endpoint. */
  url: string;
  /** The browser's cookie value binding it to this login; only its hash is stored. */
  cookieToken: string;
}

export interface FinishedLogin {
  /** ID token claims, completed by the userinfo endpoint's when it has one. */
  claims: Record<string, unknown>;
  next: string;
}

/**
 * OpenID Connect authorization code flow with PKCE against one provider. The provider's metadata
 * is discovered at the first login (so labhub starts even while the provider is down) and kept;
 * a failed discovery is retried at the next login. State, nonce and the PKCE verifier stay in
 * the store: only the state and the code challenge travel in the URL, as the protocol needs.
 */
export class OidcLogin {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: { issuer: string; clientId: string; clientSecret: string | undefined; scopes: string; redirectUri: string },
    private readonly logins: OidcRepository,
    private readonly now: Clock = Date.now,
  ) {}

  get issuer(): string {
    return this.settings.issuer;
  }

  async start(next: string): Promise<StartedLogin> {
    const configuration = await this.discover();
    const cookieToken = randomBytes(32).toString('base64url');
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    await this.logins.startLogin({ id_hash: hashToken(cookieToken), state, nonce, code_verifier: codeVerifier, next, expires_at: this.now() + loginTtlMs }, this.now());
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, cookieToken };
  }

  /** Checks the provider's answer against the login this browser started and redeems the code. */
  async finish(query: string, cookieToken: string | undefined): Promise<FinishedLogin> {
    if (!cookieToken) throw new SsoRefused('login_expired', 'no login cookie');
    const login = await this.logins.takeLogin(hashToken(cookieToken), this.now());
    if (!login) throw new SsoRefused('login_expired', 'unknown or expired login');
    // A state that is not the one this browser was given: someone else's login, or a forgery.
    if (!sameText(new URLSearchParams(query).get('state') ?? '', login.state)) throw new SsoRefused('login_expired', 'state mismatch');
    const configuration = await this.discover();
    const currentUrl = new URL(`${this.settings.redirectUri}${query}`);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        expectedState: login.state,
        expectedNonce: login.nonce,
        pkceCodeVerifier: login.code_verifier,
        idTokenExpected: true,
      });
    } catch (error) {
      throw new SsoRefused('provider_error', (error as Error).message, { cause: error });
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new SsoRefused('provider_error', 'no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    // Many providers put email and groups only in the userinfo answer (the ID token stays small).
    if (configuration.serverMetadata().userinfo_endpoint) {
      try {
        claims = { ...claims, ...(await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub)), sub: idClaims.sub };
      } catch (error) {
        throw new SsoRefused('provider_error', `userinfo: ${(error as Error).message}`, { cause: error });
      }
    }
    return { claims, next: login.next };
  }

  private discover(): Promise<client.Configuration> {
    this.configuration ??= this.fetchConfiguration().catch((error: unknown) => {
      this.configuration = undefined;
      throw new SsoRefused('provider_unreachable', `discovery at ${this.settings.issuer} failed: ${(error as Error).message}`, { cause: error });
    });
    return this.configuration;
  }

  private async fetchConfiguration(): Promise<client.Configuration> {
    const issuer = new URL(this.settings.issuer);
    // Plain http is refused by the library, rightly; the configuration admits it only for a provider on this machine.
    const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
    return client.discovery(
      issuer,
      this.settings.clientId,
      this.settings.clientSecret,
      this.settings.clientSecret === undefined ? client.None() : client.ClientSecretBasic(this.settings.clientSecret),
      { timeout: providerTimeoutSeconds, ...(insecure && { execute: [client.allowInsecureRequests] }) },
    );
  }
}

/** The single sign-on login of this configuration, or undefined when single sign-on is off. */
export function oidcLoginFrom(config: Config, logins: OidcRepository, now?: Clock): OidcLogin | undefined {
  if (config.oidcIssuer === undefined || config.oidcClientId === undefined) return undefined;
  return new OidcLogin(
    { issuer: config.oidcIssuer, clientId: config.oidcClientId, clientSecret: config.oidcClientSecret, scopes: config.oidcScopes, redirectUri: `${config.publicUrl}/api/auth/oidc/callback` },
    logins,
    now,
  );
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
