// The example frontend imports @lkrpc/lkrpc from this repository's ts/
// (its TypeScript source: Vite compiles it) and the VoiceAgent's generated
// code from ts/gen, as an app would import the published package and its
// own generated code. dedupe keeps one copy of protobuf-es for both.
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@lkrpc/lkrpc": `${repo}ts/src/index.ts`,
      "@gen": `${repo}ts/gen`,
    },
    dedupe: ["@bufbuild/protobuf"],
  },
  server: { fs: { allow: [repo] }, host: "127.0.0.1" },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1024 },
});
