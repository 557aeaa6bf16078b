// JWTs for people (HS256, jose): a short-lived access token and a longer refresh token. Every
// token names its issuer, audience, expiry and session; a token missing any of them is refused
// (jose's requiredClaims), so a token minted elsewhere with the same key cannot pass as ours.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { Errors } from '../../errors.js';
import type { Role } from '../../ports/metadata-store.js';
import type { Permission } from './permissions.js';

export const TOKEN_ISSUER = 'vigil';
export const TOKEN_AUDIENCE = 'vigil-api';

export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
  /** Login session (refresh-token family); revoking it ends every token of the login. */
  sessionId: string;
  /** Set when the caller authenticated with an API key instead of a login. */
  apiKeyId?: string;
  /** An API key's own permission scope (a subset of its role's). */
  scopes?: readonly string[];
  /** The tenant's custom role the user holds in place of the built-in role (carried in the token). */
  customRoleId?: string;
  /** The custom role's permissions, resolved per request (an edit of the role applies at once). */
  permissions?: ReadonlySet<Permission>;
}

type TokenType = 'access' | 'refresh';

export interface VerifiedToken extends Principal {
  /** Unique id of this token (the refresh-token rotation compares it). */
  tokenId: string;
}

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly accessTtlSec: number,
    private readonly refreshTtlSec: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  get refreshTtlMs(): number {
    return this.refreshTtlSec * 1000;
  }

  private sign(p: Principal, typ: TokenType, ttlSec: number, tokenId: string): Promise<string> {
    return new SignJWT({ tid: p.tenantId, role: p.role, typ, sid: p.sessionId, ...(p.customRoleId ? { crl: p.customRoleId } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(p.userId)
      .setJti(tokenId)
      .setIssuedAt()
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime(`${ttlSec}s`)
      .sign(this.key);
  }

  /** A token pair; refreshTokenId is what the session store keeps as the family's current one. */
  async issue(p: Principal): Promise<{ accessToken: string; refreshToken: string; expiresIn: number; refreshTokenId: string }> {
    const refreshTokenId = randomUUID();
    return {
      accessToken: await this.sign(p, 'access', this.accessTtlSec, randomUUID()),
      refreshToken: await this.sign(p, 'refresh', this.refreshTtlSec, refreshTokenId),
      expiresIn: this.accessTtlSec,
      refreshTokenId,
    };
  }

  async verify(token: string, typ: TokenType): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iss', 'aud', 'sub', 'jti'],
      });
      if (payload.typ !== typ || typeof payload.sub !== 'string' || typeof payload.tid !== 'string' || typeof payload.sid !== 'string') {
        throw Errors.unauthorized(`not a valid ${typ} token`);
      }
      const customRoleId = typeof payload.crl === 'string' ? { customRoleId: payload.crl } : {};
      return { userId: payload.sub, tenantId: payload.tid, role: payload.role as Role, sessionId: payload.sid, tokenId: payload.jti!, ...customRoleId };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw Errors.unauthorized(`${typ} token expired`);
      if (err instanceof joseErrors.JOSEError) throw Errors.unauthorized(`invalid ${typ} token`);
      throw err;
    }
  }
}
