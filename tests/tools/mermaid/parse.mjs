// Parses a Mermaid diagram from stdin with Mermaid's own parser (as GitHub's renderer does).
// Prints the detected diagram type and exits 0, or prints the parse error and exits 1.
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });
try {
  const result = await mermaid.parse(readFileSync(0, "utf8"));
  console.log(result.diagramType);
} catch (error) {
  console.log(`parse error: ${error.message ?? error}`);
  process.exit(1);
}
