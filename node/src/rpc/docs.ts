/**
 * Renders the API declaration (api.ts, errors.ts) to Markdown. docs/rpc.md is this output:
 *
 *   node node/src/rpc/docs.ts --write    # regenerate docs/rpc.md
 *   node node/src/rpc/docs.ts            # print to stdout
 *
 * A test fails when docs/rpc.md differs from the rendering, so the docs cannot drift.
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import {
  ContactSchema,
  ConversationSchema,
  events,
  IdentitySchema,
  MessageSchema,
  MessageStatusSchema,
  methods,
  WaitingReasonSchema,
  WaitingSchema,
} from './api.ts'
import { APP_ERRORS, JSONRPC_ERRORS } from './errors.ts'
import { BEARER_SUBPROTOCOL_PREFIX, MAX_BATCH_REQUESTS, MAX_RPC_MESSAGE_BYTES } from './server.ts'

export const RPC_DOCS_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/rpc.md')

interface JsonSchema {
  $ref?: string
  $defs?: Record<string, JsonSchema>
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
  description?: string
  minLength?: number
  maxLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
}

const NAMED_TYPES = [
  ['MessageStatus', MessageStatusSchema],
  ['WaitingReason', WaitingReasonSchema],
  ['Waiting', WaitingSchema],
  ['Message', MessageSchema],
  ['Contact', ContactSchema],
  ['Conversation', ConversationSchema],
  ['Identity', IdentitySchema],
] as const

function jsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
}

function constraints(s: JsonSchema): string[] {
  const out: string[] = []
  if (s.minLength !== undefined || s.maxLength !== undefined)
    out.push(`${s.minLength ?? 0}..${s.maxLength ?? '∞'} chars`)
  if (s.pattern !== undefined) out.push(`/${s.pattern}/`)
  if (s.minimum !== undefined && s.minimum !== 0 && s.maximum !== Number.MAX_SAFE_INTEGER)
    out.push(`${s.minimum}..${s.maximum ?? '∞'}`)
  else if (s.maximum !== undefined && s.maximum !== Number.MAX_SAFE_INTEGER)
    out.push(`${s.minimum ?? ''}..${s.maximum}`)
  else if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`)
  if (s.minItems !== undefined || s.maxItems !== undefined)
    out.push(`${s.minItems ?? 0}..${s.maxItems ?? '∞'} items`)
  return out
}

function typeExpr(s: JsonSchema, indent: string): string {
  if (s.$ref) return s.$ref.split('/').pop() as string
  if (s.anyOf) return s.anyOf.map((a) => typeExpr(a, indent)).join(' | ')
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(' | ')
  if (Array.isArray(s.type)) return s.type.map((t) => typeExpr({ ...s, type: t }, indent)).join(' | ')
  switch (s.type) {
    case 'integer':
    case 'number':
      return 'number'
    case 'array': {
      const item = s.items ? typeExpr(s.items, indent) : 'unknown'
      return item.includes(' ') && !item.startsWith('{') ? `(${item})[]` : `${item}[]`
    }
    case 'object':
      return objectExpr(s, indent)
    case undefined:
      return 'unknown'
    default:
      return s.type
  }
}

function fieldNote(s: JsonSchema): string {
  const parts = [...constraints(s), ...(s.anyOf ?? []).flatMap(constraints)]
  const description = s.description ?? s.anyOf?.find((a) => a.description)?.description
  if (s.type === 'array' && s.items) parts.push(...constraints(s.items).map((c) => `each ${c}`))
  if (description) parts.unshift(description)
  return parts.length ? `  // ${parts.join('; ')}` : ''
}

function objectExpr(s: JsonSchema, indent: string): string {
  const entries = Object.entries(s.properties ?? {})
  if (entries.length === 0) return '{}'
  const inner = `${indent}  `
  const required = new Set(s.required ?? [])
  const lines = entries.map(
    ([name, field]) =>
      `${inner}${name}${required.has(name) ? '' : '?'}: ${typeExpr(field, inner)}${fieldNote(field)}`,
  )
  return `{\n${lines.join('\n')}\n${indent}}`
}

/** A fenced type; a named type at the root is shown by name unless `expand` (the Types section). */
function block(schema: z.ZodType, expand = false): string {
  let s = jsonSchema(schema)
  if (expand && s.$ref && s.$defs) s = s.$defs[s.$ref.split('/').pop() as string] ?? s
  return `\`\`\`ts\n${typeExpr(s, '')}\n\`\`\``
}

export function renderRpcDocs(): string {
  const out: string[] = []
  out.push('# Wren daemon JSON-RPC API')
  out.push('')
  out.push('<!-- Generated from node/src/rpc/api.ts by `node node/src/rpc/docs.ts --write`. Do not edit. -->')
  out.push('')
  out.push(
    'JSON-RPC 2.0 over WebSocket on `ws://127.0.0.1:<rpcPort>/` (the port is in `<profile>/daemon.json`). ' +
      'Every connection must present the bearer token from `<profile>/rpc-token`: header ' +
      `\`Authorization: Bearer <token>\`, or (browsers) the subprotocol \`${BEARER_SUBPROTOCOL_PREFIX}<token>\`. ` +
      'Without it the upgrade is refused with HTTP 401.',
  )
  out.push('')
  out.push(
    `Params are named (an object); unknown fields are rejected. Messages are at most ${MAX_RPC_MESSAGE_BYTES} bytes; ` +
      `batches hold at most ${MAX_BATCH_REQUESTS} requests. Events arrive as notifications ` +
      '(`{ "jsonrpc": "2.0", "method": "<event>", "params": <payload> }`) after `events.subscribe`.',
  )
  out.push('')
  out.push('## Methods')
  out.push('')
  for (const [name, spec] of Object.entries(methods)) {
    out.push(`### \`${name}\``)
    out.push('')
    out.push(spec.description)
    out.push('')
    out.push('Params:')
    out.push('')
    out.push(block(spec.params))
    out.push('')
    out.push('Result:')
    out.push('')
    out.push(block(spec.result))
    out.push('')
  }
  out.push('## Events')
  out.push('')
  for (const [name, spec] of Object.entries(events)) {
    out.push(`### \`${name}\``)
    out.push('')
    out.push(spec.description)
    out.push('')
    out.push(block(spec.payload))
    out.push('')
  }
  out.push('## Types')
  out.push('')
  for (const [name, schema] of NAMED_TYPES) {
    out.push(`### \`${name}\``)
    out.push('')
    if (schema.description !== undefined) {
      out.push(schema.description)
      out.push('')
    }
    out.push(block(schema, true))
    out.push('')
  }
  out.push('## Errors')
  out.push('')
  out.push('Application errors carry `data.error` = the name below.')
  out.push('')
  out.push('| Code | Name | Meaning |')
  out.push('| ---: | --- | --- |')
  for (const [name, e] of Object.entries({ ...JSONRPC_ERRORS, ...APP_ERRORS }))
    out.push(`| ${e.code} | \`${name}\` | ${e.description} |`)
  out.push('')
  return out.join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderRpcDocs()
  if (process.argv.includes('--write')) writeFileSync(RPC_DOCS_PATH, text)
  else process.stdout.write(text)
}
