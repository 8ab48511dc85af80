// GitHub's expression evaluator (@actions/expressions) behind a JSON-lines protocol, for the
// action tests' harness (tests/action/gha_expressions.py). One process serves a whole test run.
//
// Request, one line:  {"contexts": {...}, "items": [{"kind": "...", "text": "..."}, ...]}
//   kind "expression":  text is an expression (what goes between ${{ and }})
//   kind "template":    text is a YAML string value that may embed ${{ }}; returned as the value
//                       the runner computes: one whole expression keeps its type, mixed text
//                       is the text with each expression's string form in its place
//   kind "condition":   an `if:` value; without a status function it means success() && (...)
//   "status": {"success": bool, "failure": bool, "cancelled": bool} (always() is always true)
// Answer, one line:   {"results": [{"value": json, "string": "..."} | {"error": "message"}, ...]}
//
// Run with: node --import ./json-loader.mjs gha-expressions.mjs
import { createInterface } from "node:readline";
import { Evaluator, Lexer, Parser, data } from "@actions/expressions";
import { FunctionCall } from "@actions/expressions/ast";
import { truthy } from "@actions/expressions/result";

const OPEN = "${{";
const CLOSE = "}}";
const STATUS_FUNCTIONS = ["success", "always", "failure", "cancelled"];

// Split a template into literal and expression segments, like the runner's template reader:
// `}}` inside a single-quoted string literal does not close the expression.
function segments(raw) {
  const parts = [];
  let i = 0;
  while (i < raw.length) {
    const start = raw.indexOf(OPEN, i);
    if (start < 0) {
      parts.push({ literal: raw.slice(i) });
      break;
    }
    if (start > i) parts.push({ literal: raw.slice(i, start) });
    let inString = false;
    let end = -1;
    for (let j = start + OPEN.length; j < raw.length; j++) {
      if (raw[j] === "'") inString = !inString;
      else if (!inString && raw[j] === "}" && raw[j - 1] === "}") {
        end = j;
        break;
      }
    }
    if (end < 0) {
      throw new Error("The expression is not closed. An unescaped ${{ sequence was found, but the closing }} sequence was not found.");
    }
    const expression = raw.slice(start + OPEN.length, end + 1 - CLOSE.length).trim();
    if (!expression) throw new Error("An expression was expected");
    parts.push({ expression });
    i = end + 1;
  }
  return parts;
}

function parse(text, contextNames) {
  const lexed = new Lexer(text).lex();
  const statusInfo = STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));
  return new Parser(lexed.tokens, contextNames, statusInfo).parse();
}

// Whether the parse tree calls a status function anywhere (the runner looks at the tree, not at
// which calls happen to be evaluated: `false && failure()` still counts).
function usesStatus(node) {
  if (node === null || typeof node !== "object") return false;
  if (node instanceof FunctionCall && STATUS_FUNCTIONS.includes(node.functionName.lexeme.toLowerCase())) {
    return true;
  }
  // Children are Expr nodes (they have accept) or arrays of them (a Logical's args).
  const isExpr = (child) => typeof child?.accept === "function";
  return Object.values(node).some((child) =>
    Array.isArray(child) ? child.some(usesStatus) : isExpr(child) && usesStatus(child)
  );
}

function statusFunctions(status) {
  const value = { success: status.success, always: true, failure: status.failure, cancelled: status.cancelled };
  return new Map(
    STATUS_FUNCTIONS.map((name) => [
      name,
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(Boolean(value[name])) },
    ])
  );
}

function evaluateItem(item, contexts, contextNames, functions) {
  if (item.kind === "template") {
    if (!item.text.includes(OPEN)) return item.text;
    const evaluate = (text) => new Evaluator(parse(text, contextNames), contexts, functions).evaluate();
    const parts = segments(item.text);
    if (parts.length === 1 && parts[0].expression !== undefined) return evaluate(parts[0].expression);
    // The runner rewrites mixed text as format('lit{0}lit', expr) and format() inserts each
    // value's string form: the same as joining the parts. Joining avoids the package's lexer,
    // which unescapes only the first '' of a string literal (the runner unescapes all).
    return parts.map((part) => (part.literal ?? evaluate(part.expression).coerceString())).join("");
  }
  let text = item.text;
  if (item.kind === "condition") {
    const trimmed = text.trim();
    const parts = trimmed.includes(OPEN) ? segments(trimmed) : null;
    // `if: ${{ expr }}` and `if: expr` are the same condition.
    if (parts && parts.length === 1 && parts[0].expression !== undefined) text = parts[0].expression;
    const tree = parse(text, contextNames);
    if (!usesStatus(tree)) text = `success() && (${text})`;
    const result = new Evaluator(parse(text, contextNames), contexts, functions).evaluate();
    return new data.BooleanData(truthy(result));
  }
  return new Evaluator(parse(text, contextNames), contexts, functions).evaluate();
}

// A result as JSON plus its string form (what interpolation writes into env, with, run).
function encode(value) {
  if (typeof value === "string") return { value, string: value };
  const string = value.coerceString();
  // NaN and the infinities have no JSON: send their string form, as the runner prints them.
  if (value.kind === data.Kind.Number && !Number.isFinite(value.number())) return { value: string, string };
  return { value: JSON.parse(JSON.stringify(value, data.replacer)), string };
}

function answer(request) {
  const contexts = JSON.parse(JSON.stringify(request.contexts ?? {}), data.reviver);
  const contextNames = contexts.pairs().map((pair) => pair.key);
  const functions = statusFunctions(request.status ?? { success: true, failure: false, cancelled: false });
  const results = request.items.map((item) => {
    try {
      return encode(evaluateItem(item, contexts, contextNames, functions));
    } catch (error) {
      return { error: String(error?.message ?? error) };
    }
  });
  return { results };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    reply = answer(JSON.parse(line));
  } catch (error) {
    reply = { fatal: String(error?.message ?? error) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
}
