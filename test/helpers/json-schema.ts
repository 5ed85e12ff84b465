import { createRequire } from 'node:module';

/**
 * A JSON Schema draft 2020-12 validator (ajv 8, the one @seriousme/openapi-schema-validator
 * brings: it is resolved from that package, so it is the same ajv however npm lays out
 * node_modules). The top-level `ajv` here is eslint's ajv 6, which knows no 2020-12.
 */
const fromValidator = createRequire(
  createRequire(import.meta.url).resolve('@seriousme/openapi-schema-validator'),
);

interface AjvError {
  instancePath: string;
  message?: string;
}
interface ValidateFn {
  (value: unknown): boolean;
  errors?: AjvError[] | null;
}
interface Ajv2020 {
  compile(schema: object): ValidateFn;
}

const { default: Ajv } = fromValidator('ajv/dist/2020.js') as {
  default: new (options: object) => Ajv2020;
};
const { default: addFormats } = fromValidator('ajv-formats') as {
  default: (ajv: Ajv2020) => void;
};

/** Checks values against schemas that may refer to the document's components. */
export class SchemaChecker {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFn>();

  /** `components`: the document's `components.schemas` (refs `#/components/schemas/X`). */
  constructor(
    private readonly components: Record<string, object>,
    /** Every object that lists properties admits no others (the answers as they are now). */
    private readonly closed = false,
  ) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
  }

  /** What is wrong with `value` (empty when it is valid). */
  problems(schema: object, value: unknown): string[] {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      const defs = Object.fromEntries(
        Object.entries(this.components).map(([id, s]) => [id, this.prepare(s)]),
      );
      validate = this.ajv.compile({ ...(this.prepare(schema) as object), $defs: defs });
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
  }

  /** Refs to the components become refs to `$defs`; closed objects when asked. */
  private prepare(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map((s) => this.prepare(s));
    if (schema === null || typeof schema !== 'object') return schema;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) {
      out[k] =
        k === '$ref' && typeof v === 'string'
          ? v.replace('#/components/schemas/', '#/$defs/')
          : this.prepare(v);
    }
    if (
      this.closed &&
      out.type === 'object' &&
      out.properties !== undefined &&
      out.additionalProperties === undefined
    )
      out.additionalProperties = false;
    return out;
  }
}
