import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The dev server's proxy target: a labhub server started with `npm run dev`. */
const devServer = process.env.LABHUB_DEV_SERVER ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('./src/web', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      output: {
        codeSplitting: {
          // The framework every page needs changes less often than our code: one long-cached chunk.
          // Heavy page-specific libraries (xterm, noVNC, CodeMirror) stay with the pages that import them.
          groups: [{ name: 'framework', test: /node_modules[\\/](react|react-dom|react-router|react-router-dom|scheduler|@tanstack)[\\/]/ }],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': {
        target: devServer,
        ws: true,
        // src/web/api/*.ts are served under /api/ too; those modules are ours, not the server's.
        bypass: (request) => (/\.tsx?(\?|$)/.test(request.url ?? '') ? request.url : undefined),
        // The server refuses state-changing requests whose Origin is not its public URL
        // (docs/architecture.md §5); in development the page's origin is Vite's, so present the target's.
        configure: (proxy) => proxy.on('proxyReq', (request) => request.setHeader('origin', new URL(devServer).origin)),
      },
    },
  },
});
