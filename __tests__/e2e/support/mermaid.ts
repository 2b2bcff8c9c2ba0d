/** Mermaid's own parser, for the charts in job summaries (run in a child process). */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './runner-env.js'

const SCRIPT = join(repoRoot, '__tests__', 'e2e', 'support', 'mermaid-parse.mjs')

/** The body of every ```mermaid block in `markdown`. */
export function mermaidBlocks(markdown: string): string[] {
  return Array.from(markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g), m => m[1])
}

/** Mermaid's verdict on each chart: null when accepted, else its parse error. */
export function parseMermaid(charts: readonly string[]): Promise<(string | null)[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [SCRIPT],
      { cwd: repoRoot },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`))
        resolve(JSON.parse(stdout) as (string | null)[])
      }
    )
    child.stdin?.end(JSON.stringify(charts))
  })
}
