import react from "@vitejs/plugin-react";
import pkg from "./package.json" with { type: "json" };
import { defineConfig } from "vitest/config";

// The build lands inside the Python package so that a plain `pip install` serves the UI.
// (Relative to this folder, which is Vite's root.)
const outDir = "../semantik/webui/static";

export default defineConfig({
  plugins: [react()],
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  // Relative asset URLs: the app works at / and behind a proxy under a sub-path alike.
  base: "./",
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    // `npm run dev` talks to a webui started by `semantik serve` on its default port.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
