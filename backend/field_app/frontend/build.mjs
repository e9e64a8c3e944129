// Builds the field app into dist/ (served at /thiet-bi/) and copies htmx for the staff pages.
//
// esbuild bundles the app and the service worker; the service worker gets the list of files to
// precache with a content hash each (what workbox-precaching expects), so a new deployment is
// a new list and the app updates itself. Nothing here is committed: `make` runs it.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
// OUT_DIR builds elsewhere (a test builds a second deployment); BUILD_LABEL names the build.
const dist = process.env.OUT_DIR || join(here, "dist");
const label = process.env.BUILD_LABEL || JSON.parse(readFileSync(join(here, "package.json"), "utf8")).version;
const staffStatic = join(here, "..", "..", "web", "static", "build");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
mkdirSync(join(dist, "assets"), { recursive: true });
mkdirSync(staffStatic, { recursive: true });

const digest = (data) => createHash("sha256").update(data).digest("hex");

const app = await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome90", "safari15"],
  entryNames: "app-[hash]",
  outdir: join(dist, "assets"),
  metafile: true,
  legalComments: "none",
});
const appFile = Object.keys(app.metafile.outputs).find((f) => f.endsWith(".js"));
const appUrl = `assets/${appFile.split("/").pop()}`;

for (const name of readdirSync(join(here, "public"))) {
  copyFileSync(join(here, "public", name), join(dist, name));
}
const css = readFileSync(join(dist, "app.css"));
const cssUrl = `assets/app-${digest(css).slice(0, 10)}.css`;
writeFileSync(join(dist, cssUrl), css);
rmSync(join(dist, "app.css"));

const shell = readFileSync(join(here, "src", "index.html"), "utf8")
  .replace("{{APP}}", appUrl)
  .replace("{{CSS}}", cssUrl)
  .replace("{{BUILD}}", label);
writeFileSync(join(dist, "index.html"), shell);

function files(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}
const precache = files(dist).map((path) => ({
  url: relative(dist, path).split("\\").join("/"),
  revision: digest(readFileSync(path)).slice(0, 16),
}));
const version = digest(JSON.stringify(precache)).slice(0, 12);

await build({
  entryPoints: [join(here, "src", "sw.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome90", "safari15"],
  outfile: join(dist, "sw.js"),
  define: { __PRECACHE__: JSON.stringify(precache), __VERSION__: JSON.stringify(version) },
  legalComments: "none",
});
writeFileSync(join(dist, "version.json"), JSON.stringify({ version }) + "\n");

copyFileSync(join(here, "node_modules", "htmx.org", "dist", "htmx.min.js"), join(staffStatic, "htmx.min.js"));
// Swagger UI for the API docs at /schema: served from here, so they work on an offline LAN.
for (const name of ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]) {
  copyFileSync(join(here, "node_modules", "swagger-ui-dist", name), join(staffStatic, name));
}
console.log(`field app ${version}: ${precache.length} files precached`);
