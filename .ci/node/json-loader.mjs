// Use with `node --import ./json-loader.mjs ...` (Node >= 20.6): registers json-hooks.mjs.
import { register } from "node:module";

register("./json-hooks.mjs", import.meta.url);
