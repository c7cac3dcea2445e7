// Vite builds the console into REMISE_CONSOLE_OUT (host/build.rs sets it to its OUT_DIR),
// or dist/ when run by hand. Asset names carry a content hash, so the host can serve them
// as immutable.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

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
    proxy: { "/v1": "http://127.0.0.1:8080", "/openapi.json": "http://127.0.0.1:8080" },
  },
});
