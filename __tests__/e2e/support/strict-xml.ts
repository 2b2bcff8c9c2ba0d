/**
 * Just enough XML for the strict stand-in to edit moto's query-protocol answers in place:
 * the top-level `<member>` elements of one list, and the text of an element.
 */

/** One `<member>…</member>` element: where it sits in the document, and its text. */
export interface Member {
  start: number
  end: number
  text: string
}

/**
 * The `<member>` elements directly inside the first `<list>` element (members nested deeper,
 * such as a rule's actions, stay inside their parent's text).
 */
export function members(xml: string, list: string): Member[] {
  const open = xml.indexOf(`<${list}>`)
  if (open < 0) return []
  const close = xml.indexOf(`</${list}>`, open)
  const tokens = /<member>|<\/member>/g
  tokens.lastIndex = open
  const found: Member[] = []
  let depth = 0
  let start = -1
  for (let match = tokens.exec(xml); match && match.index < close; match = tokens.exec(xml)) {
    if (match[0] === '<member>') {
      if (depth === 0) start = match.index
      depth++
    } else {
      depth--
      if (depth === 0) {
        const end = match.index + match[0].length
        found.push({ start, end, text: xml.slice(start, end) })
      }
    }
  }
  return found
}

/** Replaces members (from `members`) by new texts; `undefined` keeps one, `''` removes it. */
export function replaceMembers(
  xml: string,
  found: readonly Member[],
  texts: readonly (string | undefined)[]
): string {
  let out = xml
  for (let i = found.length - 1; i >= 0; i--) {
    const text = texts[i]
    if (text === undefined) continue
    out = out.slice(0, found[i].start) + text + out.slice(found[i].end)
  }
  return out
}

/** The text of the first `<tag>` element, or `undefined`. */
export function elementText(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]
}

/** The values of a query-protocol list parameter (`ResourceArns.member.1`, `.2`…), in order. */
export function formList(form: URLSearchParams, name: string): string[] {
  const out: string[] = []
  for (let i = 1; form.has(`${name}.member.${i}`); i++) out.push(form.get(`${name}.member.${i}`)!)
  return out
}
