// Module hooks (registered by json-loader.mjs): @actions/workflow-parser imports its schemas as
// `import Schema from "./x.json"` with no `with { type: "json" }`, which Node 20 refuses
// ("needs an import attribute of type json"). Serve every .json module as an ES module whose
// default export is the parsed file, so neither form of the import depends on attributes.
import { readFile } from "node:fs/promises";

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".json")) {
    return nextLoad(url, context);
  }
  const text = await readFile(new URL(url), "utf8");
  // JSON.parse first: a broken file fails here with its name, not as a syntax error in JS.
  JSON.parse(text);
  return { format: "module", source: `export default ${text};`, shortCircuit: true };
}
