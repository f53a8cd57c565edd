// The dashboard (issue #21): a React single-page app built into apps/dashboard/dist, which the
// all-in-one app serves at `/` (libs/all-in-one/src/dashboard.ts). `vite` alone serves it for
// development and forwards the API to a running Sluice (SLUICE_URL, default the all-in-one's port).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const sluice = process.env['SLUICE_URL'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': sluice } },
});
