import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../../../domains/auth/auth.service.js';
import { problemSchema } from '../problem.js';

const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer({ description: 'access token lifetime in seconds' }),
});

export function authRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with email and password',
        body: Type.Object({ email: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) }),
        response: { 200: TokenPair, 401: problemSchema },
      },
      // Brute-force protection: far stricter than the general API limit.
      config: { rateLimit: { max: 20, timeWindow: '1 minute' } },
    },
    async (request) => {
      const { email, password } = request.body as { email: string; password: string };
      return auth.login(email, password);
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new token pair',
        body: Type.Object({ refreshToken: Type.String({ minLength: 1 }) }),
        response: { 200: TokenPair, 401: problemSchema },
      },
    },
    async (request) => auth.refresh((request.body as { refreshToken: string }).refreshToken),
  );
}
