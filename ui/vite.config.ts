/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** Writes NAME.br and NAME.gz beside each built asset; the platform sends them with Content-Encoding. */
function precompress(dir: string) {
  return {
    name: "ontolab-precompress",
    apply: "build" as const,
    closeBundle() {
      for (const name of readdirSync(dir)) {
        if (!/\.(js|css|svg|json)$/.test(name)) continue;
        const data = readFileSync(join(dir, name));
        if (data.length < 1024) continue;
        writeFileSync(join(dir, `${name}.gz`), gzipSync(data, { level: 9 }));
        const quality = { [constants.BROTLI_PARAM_QUALITY]: 11 };
        writeFileSync(join(dir, `${name}.br`), brotliCompressSync(data, { params: quality }));
      }
    },
  };
}

// `npm run dev` proxies the API to a platform started with `ontolab serve` (port 3000).
const platform = process.env.ONTOLAB_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react(), precompress("dist/assets")],
  server: {
    proxy: { "/api": platform, "/sparql": platform, "/metrics": platform },
  },
  build: {
    outDir: "dist",
    chunkSizeWarningLimit: 2000,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
