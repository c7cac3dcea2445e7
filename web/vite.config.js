// Vite builds the console into REMISE_CONSOLE_OUT (host/build.rs sets it to its OUT_DIR),
// or dist/ when run by hand. Asset names carry a content hash, so the host can serve them
// as immutable. `npx vite` serves it for development, the API proxied to REMISE_API
// (http://127.0.0.1:8080 by default).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const api = process.env.REMISE_API || "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: process.env.REMISE_CONSOLE_OUT || "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/v1": api, "/openapi.json": api },
  },
});
