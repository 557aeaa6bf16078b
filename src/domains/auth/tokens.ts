// JWTs for people (HS256, jose): a short-lived access token and a longer refresh token.
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { Errors } from '../../errors.js';
import type { Role } from '../../ports/metadata-store.js';

export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
}

type TokenType = 'access' | 'refresh';

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly accessTtlSec: number,
    private readonly refreshTtlSec: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  private sign(p: Principal, typ: TokenType, ttlSec: number): Promise<string> {
    return new SignJWT({ tid: p.tenantId, role: p.role, typ })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(p.userId)
      .setIssuedAt()
      .setIssuer('vigil')
      .setExpirationTime(`${ttlSec}s`)
      .sign(this.key);
  }

  async issue(p: Principal): Promise<{ accessToken: string; refreshToken: string; expiresIn: number }> {
    return {
      accessToken: await this.sign(p, 'access', this.accessTtlSec),
      refreshToken: await this.sign(p, 'refresh', this.refreshTtlSec),
      expiresIn: this.accessTtlSec,
    };
  }

  async verify(token: string, typ: TokenType): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'vigil', algorithms: ['HS256'] });
      if (payload.typ !== typ || typeof payload.sub !== 'string' || typeof payload.tid !== 'string') {
        throw Errors.unauthorized(`not a valid ${typ} token`);
      }
      return { userId: payload.sub, tenantId: payload.tid, role: payload.role as Role };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw Errors.unauthorized(`${typ} token expired`);
      if (err instanceof joseErrors.JOSEError) throw Errors.unauthorized(`invalid ${typ} token`);
      throw err;
    }
  }
}
