/**
 * Renders job summaries in a real browser: Debian's headless Chromium, driven by playwright-core
 * (pinned), with the project's pinned Mermaid. Each summary is drawn as GitHub would draw it, on
 * a light and on a dark page, and the drawn SVG is measured: colours, label boxes, bars.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { repoRoot } from './runner-env.js'
import { mermaidBlocks } from './mermaid.js'

const CHROMIUM = '/usr/bin/chromium'
const MERMAID = join(repoRoot, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js')

/** GitHub's page backgrounds (Primer `canvas.default`) and Mermaid's matching theme. */
export const THEMES = {
  light: { page: '#ffffff', mermaid: 'default' },
  dark: { page: '#0d1117', mermaid: 'dark' }
} as const

/**
 * Debian's chromium (or `CHROMIUM=/path`), installed with apt-get when missing, the way the
 * set-up provides `.venv`: as root here, through sudo on a hosted runner.
 */
export function ensureChromium(): string {
  const given = process.env.CHROMIUM
  if (given) return given
  if (!existsSync(CHROMIUM)) {
    const root = process.getuid?.() === 0
    const run = (args: string[]) =>
      root
        ? execFileSync('apt-get', args, { stdio: 'ignore' })
        : execFileSync('sudo', ['-n', 'apt-get', ...args], { stdio: 'ignore' })
    console.error("e2e: installing Debian's chromium with apt-get (one-time)")
    run(['update'])
    run(['install', '-y', '--no-install-recommends', 'chromium'])
  }
  return CHROMIUM
}

/** One launched browser for a whole test file. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), args: ['--no-sandbox'] })
}

/** What one chart looks like once drawn. */
export interface Drawn {
  /** The fill behind the plot (the chart's own background, else the page's). */
  readonly background: string
  /** Stroke colours of the plotted lines. */
  readonly lines: string[]
  /** Fill colours and heights (px) of the bars. */
  readonly bars: { fill: string; height: number }[]
  /** Every x-axis label: text and box. */
  readonly labels: { text: string; x: number; y: number; width: number; height: number }[]
  readonly width: number
}

/** Renders `markdown`'s mermaid blocks on a page themed `theme`; screenshots to `png`. */
export async function draw(
  browser: Browser,
  markdown: string,
  theme: keyof typeof THEMES,
  png?: string
): Promise<Drawn[]> {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } })
  try {
    const { page: background, mermaid } = THEMES[theme]
    const blocks = mermaidBlocks(markdown)
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
    // The summary's own text next to the chart, so the PNG shows the whole ending.
    const text = escape(markdown.replace(/```mermaid[\s\S]*?```/g, ''))
    await page.setContent(
      `<html><body style="background:${background};color:${theme === 'dark' ? '#e6edf3' : '#1f2328'};font-family:sans-serif">` +
        `<pre style="white-space:pre-wrap;font-size:11px">${text}</pre>` +
        blocks.map(b => `<pre class="mermaid">${escape(b)}</pre>`).join('') +
        '</body></html>'
    )
    await page.addScriptTag({ path: MERMAID })
    await page.evaluate(async (theme: string) => {
      const m = (globalThis as unknown as { mermaid: Record<string, (o?: unknown) => unknown> })
        .mermaid
      m.initialize({ startOnLoad: false, theme })
      await m.run()
    }, mermaid)
    if (png) {
      mkdirSync(join(repoRoot, 'reports'), { recursive: true })
      await page.screenshot({ path: join(repoRoot, 'reports', png), fullPage: true })
    }
    return (await page.evaluate(`(${MEASURE})(${JSON.stringify(background)})`)) as Drawn[]
  } finally {
    await page.close()
  }
}

/**
 * Runs in the page: the measurements of every drawn chart. Plain JavaScript text, so no
 * transpiler helper (esbuild's `__name`) leaks into the page.
 */
const MEASURE = `(page) => {
  const colour = (el, prop) => getComputedStyle(el)[prop]
  return Array.from(document.querySelectorAll('pre.mermaid svg')).map(svg => {
    const bg = svg.querySelector('rect.background')
    const fill = bg ? colour(bg, 'fill') : 'none'
    return {
      background: fill && fill !== 'none' && fill !== 'rgba(0, 0, 0, 0)' ? fill : page,
      lines: Array.from(svg.querySelectorAll('[class*="line-plot"] path')).map(p => colour(p, 'stroke')),
      bars: Array.from(svg.querySelectorAll('[class*="bar-plot"] rect')).map(r => ({
        fill: colour(r, 'fill'),
        height: r.getBBox().height
      })),
      labels: Array.from(svg.querySelectorAll('.bottom-axis .label text, .left-axis .label text')).map(t => {
        const box = t.getBoundingClientRect()
        return { text: t.textContent || '', x: box.x, y: box.y, width: box.width, height: box.height }
      }),
      width: svg.getBoundingClientRect().width
    }
  })
}`

/** WCAG relative luminance of `rgb(r, g, b)` or `#rrggbb`. */
function luminance(css: string): number {
  const hex = /^#([0-9a-f]{6})$/i.exec(css)?.[1]
  const parts = hex
    ? [0, 2, 4].map(i => parseInt(hex.slice(i, i + 2), 16))
    : (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number)
  const [r, g, b] = parts.map(v => {
    const c = v / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** WCAG contrast ratio of two colours, 1..21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

/** Pairs of labels whose boxes overlap. */
export function overlaps(labels: Drawn['labels']): string[] {
  const found: string[] = []
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i], labels[j]]
      const apart =
        a.x + a.width <= b.x ||
        b.x + b.width <= a.x ||
        a.y + a.height <= b.y ||
        b.y + b.height <= a.y
      if (!apart) found.push(`${a.text} / ${b.text}`)
    }
  return found
}
