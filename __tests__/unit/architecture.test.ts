// Keeps docs/architecture.md true: reads the imports of every file in src/ (type-only ones,
// re-exports and dynamic imports included) and fails when one crosses a line the page draws.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import ts from 'typescript'

const root = resolve(import.meta.dirname, '..', '..')
const src = join(root, 'src')

/**
 * The engine (see docs/architecture.md): pure, run against fakes. It knows no SDK, no GitHub,
 * no adapter, no mode, no wiring; it may import only itself and the shared pure modules.
 */
const ENGINE = [
  'rollout.ts',
  'bake.ts',
  'prepare-stage.ts',
  'drift.ts',
  'capacity.ts',
  'heartbeat.ts',
  'health.ts',
  'promotion.ts',
  'ports.ts',
  'plan.ts',
  'analysis.ts',
  'state.ts',
  'preflight.ts',
  'refusals.ts',
  'wayout.ts',
  'switch.ts',
  'types.ts',
  'gates/' // every gate, present and future
]
/** Pure modules with no imports of their own that any part may use. */
const SHARED = ['names.ts', 'arn.ts']
/**
 * src/aws files every adapter may use: the client factory, its config, the deadline helper, the
 * retryable-error test and the bounded fan-out.
 */
const AWS_SHARED = [
  'aws/clients.ts',
  'aws/config.ts',
  'aws/within.ts',
  'aws/retryable.ts',
  'aws/bounded.ts'
]

/** Every .ts file under src/, as a path relative to src/ with forward slashes. */
function sourceFiles(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [relative(src, path).split('\\').join('/')] : []
  })
}

/** What a file imports: packages as written, local files as paths relative to src/. */
function importsOf(file: string): { packages: string[]; local: string[] } {
  const text = readFileSync(join(src, file), 'utf8')
  const specs = ts.preProcessFile(text, true, true).importedFiles.map(f => f.fileName)
  const local = specs
    .filter(s => s.startsWith('.'))
    .map(s =>
      relative(src, resolve(dirname(join(src, file)), s.replace(/\.js$/, '.ts')))
        .split('\\')
        .join('/')
    )
  return { packages: specs.filter(s => !s.startsWith('.')), local }
}

const inList = (file: string, list: readonly string[]) =>
  list.some(entry => (entry.endsWith('/') ? file.startsWith(entry) : file === entry))

/** The AWS services a file talks to: the `@aws-sdk/client-*` packages it imports. */
const servicesOf = (file: string) =>
  [...new Set(importsOf(file).packages.filter(p => p.startsWith('@aws-sdk/client-')))].sort()

/** Engine files breaking the rule, one line each: `file imports what`. */
function engineViolations(files: readonly string[]): string[] {
  return files
    .filter(file => inList(file, ENGINE))
    .flatMap(file => {
      const { packages, local } = importsOf(file)
      const badPackages = packages.filter(p => !p.startsWith('node:'))
      const badLocal = local.filter(l => !inList(l, ENGINE) && !inList(l, SHARED))
      return [...badPackages, ...badLocal.map(l => `src/${l}`)].map(
        what => `src/${file} imports ${what}`
      )
    })
}

/** src/aws files that reach into another adapter, or talk to more than one service. */
function adapterViolations(files: readonly string[]): string[] {
  const adapters = files.filter(f => f.startsWith('aws/') && !inList(f, AWS_SHARED))
  return adapters.flatMap(file => {
    const own = servicesOf(file)
    const problems: string[] = []
    if (own.length > 1) problems.push(`src/${file} talks to ${own.join(' and ')}`)
    const { packages, local } = importsOf(file)
    for (const p of packages.filter(p => p.startsWith('@actions/'))) {
      problems.push(`src/${file} imports ${p}`)
    }
    for (const target of local.filter(l => l.startsWith('aws/') && !inList(l, AWS_SHARED))) {
      const theirs = servicesOf(target)
      if (own.join() !== theirs.join() || own.length === 0) {
        problems.push(
          `src/${file} (${own.join() || 'no SDK client'}) imports src/${target} (${theirs.join() || 'no SDK client'})`
        )
      }
    }
    for (const target of local.filter(l => /^(github|modes)\//.test(l) || l === 'context.ts')) {
      problems.push(`src/${file} imports src/${target}`)
    }
    return problems
  })
}

describe('the import rules of docs/architecture.md', () => {
  const files = sourceFiles()

  it('finds the engine and the adapters where the page says they are', () => {
    for (const file of [...ENGINE.filter(e => !e.endsWith('/')), ...SHARED, ...AWS_SHARED]) {
      expect(files).toContain(file)
    }
    expect(files.filter(f => f.startsWith('gates/')).length).toBeGreaterThan(0)
    expect(files.filter(f => f.startsWith('aws/')).length).toBeGreaterThan(AWS_SHARED.length)
  })

  it('keeps the engine free of the AWS SDK, GitHub, adapters, modes and wiring', () => {
    expect(engineViolations(files)).toEqual([])
  })

  it('keeps each AWS adapter to its own service, without GitHub', () => {
    expect(adapterViolations(files)).toEqual([])
  })

  it('keeps the shared modules free of imports', () => {
    expect(SHARED.flatMap(f => [...importsOf(f).packages, ...importsOf(f).local])).toEqual([])
  })

  it('keeps the docs page naming every engine file and shared helper', () => {
    const page = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8')
    for (const entry of [...ENGINE, ...SHARED, ...AWS_SHARED]) {
      expect(page).toContain(`src/${entry}`)
    }
  })
})
