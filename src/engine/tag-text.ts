/**
 * Free text in ELB tag values, written so it reads back exactly. ELB's API reference, `Tag`
 * data type, Value: "Length Constraints: Minimum length of 0. Maximum length of 256. Pattern:
 * ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"; the ALB guide, "Tags for your listeners and rules": "Maximum
 * value length—255 Unicode characters ... Allowed characters are letters, spaces, and numbers
 * representable in UTF-8, plus the following special characters: + - = . _ : / @. Do not use
 * leading or trailing spaces." The stricter of the two holds: 255, no leading or trailing space.
 *
 * Encoding: letters, digits (of the Basic Multilingual Plane), inner spaces and `_ . : / + - @`
 * stay as they are, so a record stays readable in the console; every other character, `=`
 * itself included, becomes `=XX` per UTF-8 byte (as quoted-printable does). `=` is allowed, and
 * hex digits are letters and digits, so every encoded value is inside the pattern.
 */

/** ELB's (ALB guide's) longest tag value. */
export const MAX_TAG_VALUE = 255

/** What ELB accepts in a value, as its API reference's pattern says. */
export const ELB_TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u

/** Kept as written: letters and digits of the BMP (one UTF-16 unit each), space and `_.:/+-@`. */
const PLAIN = /^[\p{L}\p{N} _.:/+\-@]$/u

/** One code point of `text` as it goes into a tag. */
function encodePoint(point: string, edge: boolean): string {
  if (point.length === 1 && PLAIN.test(point) && !(edge && point === ' ')) return point
  return [...new TextEncoder().encode(point)]
    .map(b => `=${b.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('')
}

/** `text` as tag-safe pieces, one per code point, so no split ever cuts an `=XX` sequence. */
export function encodePieces(text: string): string[] {
  const points = [...text]
  return points.map((p, i) => encodePoint(p, i === 0 || i === points.length - 1))
}

/** `text` encoded for one tag value (no length limit applied). */
export function encodeText(text: string): string {
  return encodePieces(text).join('')
}

const ESCAPES = /(?:=[0-9A-F]{2})+/g

/**
 * The text a value encodes. A run of `=XX` that is not UTF-8 stays as it is, so a record an
 * earlier version wrote (plain text, `=` included) still reads as it was written.
 */
export function decodeText(value: string): string {
  return value.replace(ESCAPES, run => {
    const bytes = Uint8Array.from(run.slice(1).split('='), h => parseInt(h, 16))
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      return run
    }
  })
}

/** Marks text cut short because it did not fit (`…`, encoded). */
const CUT = encodeText('…')
const SPACE = '=20'

/**
 * `text` encoded into at most `parts` values of at most `MAX_TAG_VALUE` characters each;
 * anything past that is cut, at a character, and ends with `…`. Always `parts` values long
 * (unused ones empty), so a shorter text never leaves a stale part behind.
 */
export function encodeParts(text: string, parts: number): string[] {
  const values: string[][] = [[]]
  const length = (value: string[]) => value.reduce((n, piece) => n + piece.length, 0)
  let cut = false
  for (const piece of encodePieces(text)) {
    if (length(values[values.length - 1]) + piece.length > MAX_TAG_VALUE) {
      if (values.length === parts) {
        cut = true
        break
      }
      // No value may end or start with a space: one at a split moves on, written as `=20`.
      const carried = values[values.length - 1].at(-1) === ' '
      if (carried) values[values.length - 1].pop()
      values.push(carried ? [SPACE] : [])
    }
    const current = values[values.length - 1]
    current.push(current.length === 0 && piece === ' ' ? SPACE : piece)
  }
  if (cut) {
    const last = values[values.length - 1]
    while (length(last) + CUT.length > MAX_TAG_VALUE) last.pop()
    last.push(CUT)
  }
  while (values.length < parts) values.push([])
  return values.map(value => value.join(''))
}

/** The tag keys of a text kept in `parts` tags: `key`, `key:2`, `key:3`... */
export function partKeys(key: string, parts: number): string[] {
  return Array.from({ length: parts }, (_, i) => (i === 0 ? key : `${key}:${i + 1}`))
}

/** The tags that hold `text` under `key` (see `encodeParts`). */
export function textTags(key: string, text: string, parts = 1): Record<string, string> {
  const values = encodeParts(text, parts)
  return Object.fromEntries(partKeys(key, parts).map((k, i) => [k, values[i]]))
}

/** The text kept under `key` in up to `parts` tags; `undefined` when no tag holds it. */
export function readTextTags(
  tags: Readonly<Record<string, string>>,
  key: string,
  parts = 1
): string | undefined {
  if (tags[key] === undefined) return undefined
  return decodeText(
    partKeys(key, parts)
      .map(k => tags[k] ?? '')
      .join('')
  )
}
