// Keeps docs/architecture.md true: reads the imports of every file in src/ (type-only ones,
// re-exports and dynamic imports included) and fails when one crosses a line the page draws.
// The parts are the folders: a new engine file is covered by being put in src/engine/, a new
// AWS service by a folder of its own under src/aws/. No list of file names to keep up to date.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import ts from 'typescript'

const root = resolve(import.meta.dirname, '..', '..')
const src = join(root, 'src')

/** The entry files at the top of src/: the one bundle's two halves and their dispatcher. */
const ENTRY = ['index.ts', 'main.ts', 'post.ts']
/** The parts, one folder each (src/engine/gates/ is part of the engine). */
const PARTS = ['aws', 'engine', 'github', 'inputs', 'modes']

/** A source tree: file path (relative to src/, forward slashes) → its text. */
type Tree = ReadonlyMap<string, string>

/** Every .ts file under `dir`, as a path relative to `base` with forward slashes. */
function sourceFiles(dir = src, base = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path, base)
    return entry.name.endsWith('.ts') ? [relative(base, path).split('\\').join('/')] : []
  })
}

function readTree(dir = src): Tree {
  return new Map(sourceFiles(dir, dir).map(f => [f, readFileSync(join(dir, f), 'utf8')]))
}

/** What a file imports: packages as written, local files as paths relative to src/. */
function importsOf(tree: Tree, file: string): { packages: string[]; local: string[] } {
  const specs = ts
    .preProcessFile(tree.get(file) ?? '', true, true)
    .importedFiles.map(f => f.fileName)
  const local = specs
    .filter(s => s.startsWith('.'))
    .map(s => join(dirname(file), s.replace(/\.js$/, '.ts')).split('\\').join('/'))
  return { packages: specs.filter(s => !s.startsWith('.')), local }
}

/** The part a file belongs to: `engine`, `aws/elb`, `aws` (the shared AWS helpers), `top`… */
function partOf(file: string): string {
  const [first, second, third] = file.split('/')
  if (second === undefined) return ENTRY.includes(first) ? 'entry' : 'shared'
  if (first === 'aws') return third === undefined ? 'aws' : `aws/${second}`
  return first
}

const isService = (part: string) => part.startsWith('aws/')

/** The AWS services a file talks to: the `@aws-sdk/client-*` packages it imports. */
const servicesOf = (tree: Tree, file: string) =>
  [...new Set(importsOf(tree, file).packages.filter(p => p.startsWith('@aws-sdk/client-')))].sort()

/** Every import that crosses a line docs/architecture.md draws, one line each. */
function violations(tree: Tree): string[] {
  const problems: string[] = []
  for (const file of tree.keys()) {
    const part = partOf(file)
    const { packages, local } = importsOf(tree, file)
    const parts = local.map(l => ({ path: l, part: partOf(l) }))
    const say = (what: string) => problems.push(`src/${file} imports ${what}`)
    if (part === 'engine' || part === 'shared') {
      // The engine knows no SDK and no GitHub, type-only imports included.
      packages.filter(p => !p.startsWith('node:')).forEach(say)
      for (const l of parts) {
        const allowed = l.part === 'shared' || (l.part === 'engine' && part === 'engine')
        // The shared pure values may use the engine's types (clock implements its port).
        if (!allowed && !(part === 'shared' && l.path === 'engine/types.ts')) say(`src/${l.path}`)
      }
    }
    if (part === 'inputs') {
      for (const l of parts.filter(l => !['engine', 'shared', 'inputs'].includes(l.part))) {
        say(`src/${l.path}`)
      }
      packages.filter(p => p.startsWith('@actions/')).forEach(say)
    }
    if (part === 'aws' || isService(part)) {
      packages.filter(p => p.startsWith('@actions/')).forEach(say)
      for (const l of parts) {
        if (['modes', 'github', 'entry'].includes(l.part)) say(`src/${l.path}`)
        // An adapter never reaches into another service's folder; the client factory builds
        // every client, so it is the one shared file that may.
        const foreign = isService(l.part) && l.part !== part && file !== 'aws/clients.ts'
        if (foreign) say(`src/${l.path} (another AWS service's adapter)`)
      }
      const own = servicesOf(tree, file)
      if (own.length > 1 && file !== 'aws/clients.ts') {
        problems.push(`src/${file} talks to ${own.join(' and ')}`)
      }
    }
    if (part === 'github') {
      for (const l of parts.filter(l => l.part === 'aws' || isService(l.part))) {
        say(`src/${l.path}`)
      }
    }
    if (part !== 'entry') {
      for (const l of parts.filter(l => l.part === 'entry')) say(`src/${l.path} (an entry file)`)
    }
  }
  // One folder, one service: every file of src/aws/<service>/ talks to the same one.
  const byService = new Map<string, Set<string>>()
  for (const file of tree.keys()) {
    if (!isService(partOf(file))) continue
    const set = byService.get(partOf(file)) ?? new Set<string>()
    servicesOf(tree, file).forEach(s => set.add(s))
    byService.set(partOf(file), set)
  }
  for (const [part, services] of byService) {
    if (services.size !== 1) {
      problems.push(`src/${part}/ talks to ${[...services].join(' and ') || 'no AWS service'}`)
    }
  }
  return problems
}

/** Every import cycle in the tree, each as `a → b → … → a`, found by depth-first search. */
function cycles(tree: Tree): string[] {
  const found = new Set<string>()
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      const loop = stack.slice(stack.indexOf(file))
      // The same loop found from another file reads the same from its smallest member.
      const start = loop.indexOf([...loop].sort()[0])
      const canonical = [...loop.slice(start), ...loop.slice(0, start)]
      found.add([...canonical, canonical[0]].map(f => `src/${f}`).join(' → '))
      return
    }
    state.set(file, 'open')
    stack.push(file)
    for (const next of importsOf(tree, file).local) if (tree.has(next)) visit(next)
    stack.pop()
    state.set(file, 'done')
  }
  ;[...tree.keys()].sort().forEach(visit)
  return [...found]
}

describe('the import rules of docs/architecture.md', () => {
  const tree = readTree()
  const files = [...tree.keys()]

  it('shows the entry files, the shared pure values and one folder per part at the top', () => {
    const top = readdirSync(src, { withFileTypes: true })
    expect(
      top
        .filter(e => e.isDirectory())
        .map(e => e.name)
        .sort()
    ).toEqual(PARTS)
    expect(files.filter(f => partOf(f) === 'entry').sort()).toEqual(ENTRY)
    expect(files.filter(f => partOf(f) === 'shared').sort()).toEqual([
      'arn.ts',
      'clock.ts',
      'names.ts'
    ])
  })

  it('keeps one folder per AWS service under src/aws/', () => {
    const folders = readdirSync(join(src, 'aws'), { withFileTypes: true })
      .filter(e => e.isDirectory())
      .map(e => e.name)
      .sort()
    expect(folders).toEqual(['autoscaling', 'cloudwatch', 'ecs', 'elb'])
  })

  it('keeps the engine free of the AWS SDK, GitHub, adapters, modes and wiring; adapters apart', () => {
    expect(violations(tree)).toEqual([])
  })

  it('has no import cycle in src/', () => {
    expect(cycles(tree)).toEqual([])
  })

  it('keeps the docs page naming every part', () => {
    const page = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8')
    const folders = [...new Set(files.map(partOf))].filter(p => p !== 'entry' && p !== 'shared')
    for (const part of [...folders, 'engine/gates']) expect(page).toContain(`src/${part}/`)
    for (const file of files.filter(f => !f.includes('/'))) expect(page).toContain(`src/${file}`)
  })
})

describe('the architecture check itself', () => {
  const tree = readTree()
  const withFile = (file: string, text: string): Tree => new Map([...tree, [file, text]])

  it('fails on an engine file that imports the AWS SDK, even for a type', () => {
    const bad = withFile(
      'engine/leak.ts',
      "import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2'\n"
    )
    expect(violations(bad)).toEqual([
      'src/engine/leak.ts imports @aws-sdk/client-elastic-load-balancing-v2'
    ])
  })

  it('fails on an engine file that imports an adapter or a mode', () => {
    const bad = withFile(
      'engine/gates/leak.ts',
      "import { ElbTraffic } from '../../aws/elb/traffic.js'\nimport '../../modes/context.js'\n"
    )
    expect(violations(bad)).toEqual([
      'src/engine/gates/leak.ts imports src/aws/elb/traffic.ts',
      'src/engine/gates/leak.ts imports src/modes/context.ts'
    ])
  })

  it("fails on an adapter that reaches into another service's folder", () => {
    const bad = withFile(
      'aws/ecs/leak.ts',
      "import { ECSClient } from '@aws-sdk/client-ecs'\nimport { restore } from '../elb/restore.js'\n"
    )
    expect(violations(bad)).toEqual([
      "src/aws/ecs/leak.ts imports src/aws/elb/restore.ts (another AWS service's adapter)"
    ])
  })

  it('fails on an import cycle, and names it once', () => {
    const bad = new Map([
      ['engine/a.ts', "import { b } from './b.js'\n"],
      ['engine/b.ts', "import type { c } from './c.js'\n"],
      ['engine/c.ts', "export { a } from './a.js'\n"],
      ['engine/d.ts', "import './b.js'\n"]
    ])
    expect(cycles(bad)).toEqual([
      'src/engine/a.ts → src/engine/b.ts → src/engine/c.ts → src/engine/a.ts'
    ])
  })
})
