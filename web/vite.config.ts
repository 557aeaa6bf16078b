// The web console's build (`npm run build` runs it through scripts/build-web.js) and its dev server:
// `npm run web:dev` serves the console with hot reload and proxies the API, the live stream and
// /metrics to a running Vigil (VIGIL_URL, default http://localhost:8080).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const vigil = process.env.VIGIL_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      '/api': vigil,
      '/metrics': vigil,
      '/health': vigil,
      '/socket.io': { target: vigil, ws: true },
    },
  },
  test: { environment: 'happy-dom', include: ['src/**/*.test.{ts,tsx}'] },
});
