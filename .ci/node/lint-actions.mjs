// Parse action manifests and workflows with GitHub's own parser (@actions/workflow-parser), the
// one behind its VS Code extension. It knows which contexts each field allows, so it rejects
// e.g. `secrets` in a composite action, which a JSON schema cannot see.
//
// Usage: node --import <this folder>/json-loader.mjs lint-actions.mjs
//            [--action FILE]... [WORKFLOW]...
// Prints one line per error, `file (Line: L, Col: C): message`; exits 1 if there is any.
import { readFileSync } from "node:fs";
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from "@actions/workflow-parser";
import { parseAction } from "@actions/workflow-parser/actions/action-parser";
import { convertActionTemplate } from "@actions/workflow-parser/actions/action-template";

function usage() {
  process.stderr.write("usage: lint-actions.mjs [--action FILE]... [WORKFLOW]...\n");
  process.exit(2);
}

function files(argv) {
  const actions = [];
  const workflows = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--action") {
      if (i + 1 >= argv.length) usage();
      actions.push(argv[++i]);
    } else if (argv[i].startsWith("-")) {
      usage();
    } else {
      workflows.push(argv[i]);
    }
  }
  if (actions.length + workflows.length === 0) usage();
  return { actions, workflows };
}

// The parse reports schema and expression errors; the conversion adds the semantic checks
// (job needs, matrix, step ids, ...). Both land in the same context.
async function errorsOf(name, kind) {
  const file = { name, content: readFileSync(name, "utf8") };
  const trace = new NoOperationTraceWriter();
  const result = kind === "action" ? parseAction(file, trace) : parseWorkflow(file, trace);
  if (result.value !== undefined && result.context.errors.getErrors().length === 0) {
    if (kind === "action") convertActionTemplate(result.context, result.value);
    else await convertWorkflowTemplate(result.context, result.value);
  }
  return result.context.errors.getErrors().map((error) => error.message);
}

const { actions, workflows } = files(process.argv.slice(2));
let count = 0;
for (const [kind, names] of [["action", actions], ["workflow", workflows]]) {
  for (const name of names) {
    for (const message of await errorsOf(name, kind)) {
      // Messages already start with the file name and position.
      process.stdout.write(`${message.startsWith(name) ? "" : `${name}: `}${message}\n`);
      count++;
    }
  }
}
if (count > 0) {
  process.stdout.write(`workflow-parser: ${count} error(s)\n`);
  process.exit(1);
}
