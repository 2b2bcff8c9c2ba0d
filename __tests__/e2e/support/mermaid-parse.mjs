// Parses Mermaid charts with mermaid's own parser, outside jest (whose global cleanup cannot
// walk a jsdom window). Reads a JSON array of chart texts on stdin; prints a JSON array with,
// per chart, null when accepted or the parse error's message. mermaid 12 sanitises with
// DOMPurify, which needs a DOM even to parse: jsdom gives it one, on Node 20 with no browser.
import { JSDOM } from 'jsdom'

const { window } = new JSDOM('<!doctype html><html><body></body></html>')
Object.assign(globalThis, { window, document: window.document })
const { default: mermaid } = await import('mermaid')

let input = ''
for await (const chunk of process.stdin) input += chunk
const results = []
for (const chart of JSON.parse(input)) {
  try {
    await mermaid.parse(chart)
    results.push(null)
  } catch (error) {
    results.push(error instanceof Error ? error.message : String(error))
  }
}
process.stdout.write(JSON.stringify(results))
